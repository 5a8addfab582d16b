/**
 * Labels gpupool puts on every container it creates, so that after a crash it can find its own
 * containers again (ContainerEngine.list) and tell which job and attempt each one runs.
 */
export const LABELS = {
  /** "true" on every gpupool container. */
  managed: "io.gpupool.managed",
  /** Which gpupool instance (data directory) owns the container; two instances never adopt each other's. */
  instance: "io.gpupool.instance",
  job: "io.gpupool.job",
  /** Attempt number (1-based), so a restarted job's old container is told apart from its new one. */
  attempt: "io.gpupool.attempt",
  tenant: "io.gpupool.tenant",
} as const;

/** The labels of one job attempt's container. */
export function jobLabels(
  instance: string,
  jobId: string,
  attempt: number,
  tenant: string,
): Record<string, string> {
  return {
    [LABELS.managed]: "true",
    [LABELS.instance]: instance,
    [LABELS.job]: jobId,
    [LABELS.attempt]: String(attempt),
    [LABELS.tenant]: tenant,
  };
}

/** Label filter selecting every container of one gpupool instance. */
export function instanceFilter(instance: string): Record<string, string> {
  return { [LABELS.managed]: "true", [LABELS.instance]: instance };
}
