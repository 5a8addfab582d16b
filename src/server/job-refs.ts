import { memberName } from "../core/gang.js";
import { GpupoolError } from "../core/errors.js";
import type { NormalizedSpec } from "../core/job-spec.js";
import { isFinished } from "../core/job-states.js";
import type { JobRecord, JobRef, Store } from "../store/index.js";
import type { Caller } from "./auth.js";

/**
 * Job names and references, by docker's rules.
 *
 * Names: a job's name is the spec's `name`; a gang's members are named NAME-RANK (memberName). A
 * name is unique among the tenant's live jobs (not Succeeded, Failed or Cancelled): a gang holds
 * its own name and each member's, so no other job or gang may take any of them while it lives.
 * A finished job keeps its name on record but frees it.
 *
 * References (GET /v1/job-refs/{ref}; every CLI command that takes a job), first match wins:
 * 1. an exact job id → that job; an exact gang id → its members;
 * 2. a name → the live job or gang holding it, else the newest finished one that held it;
 *    a gang's name → all its members, a member's name (train-1) → that member;
 * 3. a prefix of a job id, when exactly one id has it.
 * Names and prefixes match the caller's own jobs only; exact ids reach what GET /v1/jobs/{id}
 * does (the admin: every tenant's). Several live holders of a name, or several ids with a prefix,
 * are GP_AMBIGUOUS_JOB_REF with the candidates (id, name, state) in the message.
 */

/** How many candidates an ambiguous reference lists. */
const CANDIDATES = 10;

/** The name of a gang member: its gang's name and its rank. */

/** The names a submission takes: its name and, for a gang, each member's. */
export function namesTaken(spec: Pick<NormalizedSpec, "name" | "replicas">): string[] {
  if (spec.replicas <= 1) return [spec.name];
  return [spec.name, ...Array.from({ length: spec.replicas }, (_, rank) => memberName(spec.name, rank))];
}

/** GP_NAME_IN_USE unless every name the submission takes is free among the tenant's live jobs. */
export function assertNamesFree(
  store: Store,
  tenant: string,
  spec: Pick<NormalizedSpec, "name" | "replicas">,
) {
  const names = namesTaken(spec);
  // A running gang's names are its live members' (below).
  const array = names
    .flatMap((name) => store.workloads.list({ tenant, name, running: true }))
    .find((w) => w.kind !== "gang");
  if (array)
    throw new GpupoolError(
      "GP_NAME_IN_USE",
      `the name ${array.name} is in use by running ${array.kind} ${array.id}; a name is unique among your live jobs, arrays and services${array.kind === "service" ? ` (to update the service: gpupool apply -f, or PUT /v1/services/${array.id})` : ""}`,
      { name: array.name, [array.kind === "service" ? "service" : "arrayId"]: array.id },
    );
  const holder = store.jobNames.liveHolders(tenant, names)[0];
  if (!holder) return;
  const name = names.find((n) => n === holder.name || n === holder.given) ?? spec.name;
  const by =
    holder.gang && holder.name !== name
      ? `gang ${holder.given} (member ${describe(holder)})`
      : `job ${describe(holder)}`;
  throw new GpupoolError(
    "GP_NAME_IN_USE",
    `the name ${name} is in use by live ${by}; a name is unique among your live jobs`,
    { name, jobId: holder.id },
  );
}

/** The jobs `ref` names for the caller (one job, or a gang's members in rank order), by the rules above. */
export function resolveJobRef(store: Store, caller: Caller, ref: string): JobRecord[] {
  const visible = (j: { tenant: string }) => caller.admin || j.tenant === caller.tenant;
  const exact = store.jobs.get(ref);
  if (exact && visible(exact)) return [exact];
  const gang = store.jobs.list({ gang: ref }).filter(visible);
  if (gang.length > 0) return gang;

  const holder = nameHolder(ref, store.jobNames.named(caller.tenant, ref));
  if (holder?.gang) return store.jobs.list({ gang: holder.gang });
  if (holder) return [store.jobs.require(holder.id)];

  const prefixed = store.jobNames.withIdPrefix(caller.tenant, ref, CANDIDATES + 1);
  if (prefixed.length === 1) return [store.jobs.require(prefixed[0]!.id)];
  if (prefixed.length > 1)
    throw ambiguous(`${ref} is the start of several job ids`, prefixed, "give more of the id, or a name");
  throw new GpupoolError(
    "GP_JOB_NOT_FOUND",
    `no job ${ref}: no id, gang id, name or id prefix of your jobs matches it`,
    { jobId: ref },
  );
}

/**
 * Who holds a name: one job (its own name, e.g. a single job or the member train-1) or one gang
 * (the name given to it, e.g. train), returned as a ref with `gang` set only for the whole gang.
 * `refs` come newest first.
 */
function nameHolder(name: string, refs: readonly JobRef[]): { id: string; gang: string | null } | undefined {
  const holders = new Map<string, JobRef[]>();
  for (const r of refs) {
    const key = r.name === name || r.gang === null ? `job ${r.id}` : `gang ${r.gang}`;
    holders.set(key, [...(holders.get(key) ?? []), r]);
  }
  const all = [...holders.entries()];
  const live = all.filter(([, members]) => members.some((m) => !isFinished(m.state)));
  if (live.length > 1)
    throw ambiguous(
      `the name ${name} is held by several live jobs`,
      live.flatMap(([, members]) => members),
      "give the id of the one you mean",
    );
  const [key, members] = live[0] ?? all[0] ?? [];
  if (!key || !members) return undefined;
  const first = members[0]!;
  return key.startsWith("gang ") ? { id: first.id, gang: first.gang } : { id: first.id, gang: null };
}

function describe(r: JobRef): string {
  return `${r.id} (${r.name}, ${r.state})`;
}

function ambiguous(what: string, candidates: readonly JobRef[], fix: string): GpupoolError {
  const listed = candidates.slice(0, CANDIDATES).map(describe).join(", ");
  const more = candidates.length > CANDIDATES ? ", and more" : "";
  return new GpupoolError("GP_AMBIGUOUS_JOB_REF", `${what}: ${listed}${more}; ${fix}`, {
    candidates: candidates.slice(0, CANDIDATES).map((c) => c.id),
  });
}
