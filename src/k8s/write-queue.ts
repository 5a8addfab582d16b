import type { Logger } from "../loop/logger.js";

/**
 * API writes with at most `limit` in flight, in the order they were asked for (bindings first come
 * first served). A write that throws is logged, never rethrown: each caller handles its own
 * failures inside its function.
 */
export class WriteQueue {
  private active = 0;
  private readonly waiting: (() => Promise<unknown>)[] = [];
  private idle: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  run(fn: () => Promise<unknown>, log: Logger): void {
    const wrapped = () =>
      fn().catch((err: unknown) => {
        log.warn({ err }, "Kubernetes API write failed");
      });
    this.waiting.push(wrapped);
    this.pump();
  }

  get size(): number {
    return this.active + this.waiting.length;
  }

  drained(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private pump(): void {
    while (this.active < this.limit && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      this.active++;
      void next().finally(() => {
        this.active--;
        this.pump();
        if (this.size === 0) {
          const idle = this.idle;
          this.idle = [];
          for (const r of idle) r();
        }
      });
    }
  }
}
