/**
 * Per-cycle typed state: written once in preFilter, read many times in filter/score/reserve.
 * Keys are typed objects, so a plugin's value keeps its type without casts at the call site.
 * `clone()` copies the map (values must be immutable or implement clone) so preemption can ask
 * "what if" without disturbing the real cycle.
 */
export interface StateKey<T> {
  readonly name: string;
  /** Phantom field carrying the value type; never set. */
  readonly __type?: T;
}

export function stateKey<T>(name: string): StateKey<T> {
  return { name };
}

interface Cloneable {
  clone(): unknown;
}

function isCloneable(v: unknown): v is Cloneable {
  return typeof v === "object" && v !== null && typeof (v as Cloneable).clone === "function";
}

export class CycleState {
  private readonly values = new Map<StateKey<unknown>, unknown>();

  write<T>(key: StateKey<T>, value: T): void {
    this.values.set(key as StateKey<unknown>, value);
  }

  /** Throws when the key was never written: that is a plugin-ordering bug, not a user error. */
  read<T>(key: StateKey<T>): T {
    if (!this.values.has(key as StateKey<unknown>))
      throw new Error(`cycle state "${key.name}" read before it was written`);
    return this.values.get(key as StateKey<unknown>) as T;
  }

  tryRead<T>(key: StateKey<T>): T | undefined {
    return this.values.get(key as StateKey<unknown>) as T | undefined;
  }

  clone(): CycleState {
    const copy = new CycleState();
    for (const [k, v] of this.values) copy.values.set(k, isCloneable(v) ? v.clone() : v);
    return copy;
  }
}
