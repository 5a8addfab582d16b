/**
 * Expected outcomes of a plugin are values, not exceptions (after kube-scheduler's framework).
 * `null` stands for Success on hot paths (filter runs once per node per pod), so only failures allocate.
 *
 * - Unschedulable: the pod does not fit this node now; preempting others might help.
 * - UnschedulableAndUnresolvable: it can never fit this node (wrong model, driver too old…);
 *   preemption is pointless here.
 * - Wait: a permit plugin holds the pod (gang members wait for each other).
 * - Skip: a preFilter says the plugin has nothing to check for this pod.
 * - Error: a bug or an internal failure; never a user's fault.
 */
export enum Code {
  Success = 0,
  Unschedulable = 1,
  UnschedulableAndUnresolvable = 2,
  Wait = 3,
  Skip = 4,
  Error = 5,
}

export const CODE_NAMES = [
  "Success",
  "Unschedulable",
  "UnschedulableAndUnresolvable",
  "Wait",
  "Skip",
  "Error",
] as const;

export class Status {
  readonly code: Code;
  /** Name of the plugin that produced the status; set by the framework. */
  plugin: string | undefined;
  private reasonsOrThunk: readonly string[] | (() => readonly string[]);

  /** `reasons` may be a function, computed on first read (explanations cost a scan of the nodes). */
  constructor(code: Code, reasons: readonly string[] | (() => readonly string[]) = [], plugin?: string) {
    this.code = code;
    this.reasonsOrThunk = reasons;
    this.plugin = plugin;
  }

  get reasons(): readonly string[] {
    if (typeof this.reasonsOrThunk === "function") this.reasonsOrThunk = this.reasonsOrThunk();
    return this.reasonsOrThunk;
  }

  static unschedulable(...reasons: string[]): Status {
    return new Status(Code.Unschedulable, reasons);
  }

  static unresolvable(...reasons: string[]): Status {
    return new Status(Code.UnschedulableAndUnresolvable, reasons);
  }

  static wait(...reasons: string[]): Status {
    return new Status(Code.Wait, reasons);
  }

  static error(...reasons: string[]): Status {
    return new Status(Code.Error, reasons);
  }

  static readonly SKIP = new Status(Code.Skip);

  isUnschedulable(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable;
  }

  message(): string {
    const who = this.plugin ? `${this.plugin}: ` : "";
    return `${who}${this.reasons.join("; ") || CODE_NAMES[this.code]}`;
  }
}

/** Success is `null` (like kube's nil *Status). */
export type MaybeStatus = Status | null;
