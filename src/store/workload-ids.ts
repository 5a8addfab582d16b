/** Workload kinds and their ids (store/workloads.ts), apart so that jobs.ts can tell an owner's kind. */

export type WorkloadKind = "array" | "service" | "gang";

/** How a workload's id starts, by kind: what tells a job's owner's kind from the id alone. */
export const WORKLOAD_ID_PREFIX: Readonly<Record<WorkloadKind, string>> = {
  array: "a-",
  service: "s-",
  gang: "g-",
};

/** The kind of workload an owner id names (a job's `owner`); undefined for none. */
export function ownerKind(owner: string | null | undefined): WorkloadKind | undefined {
  if (!owner) return undefined;
  return (Object.keys(WORKLOAD_ID_PREFIX) as WorkloadKind[]).find((k) =>
    owner.startsWith(WORKLOAD_ID_PREFIX[k]),
  );
}
