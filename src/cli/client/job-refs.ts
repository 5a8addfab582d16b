import { type JobsResponse, type JobView, jobsResponse } from "../../api/schemas.js";
import type { ApiClient } from "./http.js";

/**
 * The jobs a command's job argument names, as the server resolves it for the caller
 * (GET /v1/job-refs/{ref}): an exact id or gang id, a name (the live job or gang holding it, else
 * the newest that did), or a unique id prefix. One job, or a gang's members in rank order. An
 * unknown reference is GP_JOB_NOT_FOUND; an ambiguous one GP_AMBIGUOUS_JOB_REF listing the candidates.
 */
export async function resolveJobs(api: ApiClient, ref: string): Promise<JobView[]> {
  return (await resolveRef(api, ref)).jobs;
}

/** resolveJobs, with the batch array the reference names when it names one (then jobs: its live tasks). */
export async function resolveRef(api: ApiClient, ref: string): Promise<JobsResponse> {
  return api.json(jobsResponse, "GET", `/v1/job-refs/${encodeURIComponent(ref)}`);
}

/** "j-… (train, Running)", as candidates and refusals name a job. */
export function describeJob(j: Pick<JobView, "id" | "name" | "state">): string {
  return `${j.id} (${j.name}, ${j.state})`;
}
