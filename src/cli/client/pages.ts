import { type JobView, jobPageResponse, type UsageResponse, usageResponse } from "../../api/schemas.js";
import type { ApiClient } from "./http.js";

/**
 * The list routes answer a page at a time (`next` → `after`); `ps` and `usage` show everything asked
 * for, so they follow the pages, PAGE at a time.
 */
const PAGE = 1000;

/** Every job GET /v1/jobs lists for `query` (state, all), page after page. */
export async function allJobs(api: ApiClient, query: URLSearchParams, pageSize = PAGE): Promise<JobView[]> {
  const jobs: JobView[] = [];
  let after: string | null = null;
  do {
    const q = new URLSearchParams(query);
    q.set("limit", String(pageSize));
    if (after !== null) q.set("after", after);
    const page = await api.json(jobPageResponse, "GET", `/v1/jobs?${q}`);
    jobs.push(...page.jobs);
    after = page.next;
  } while (after !== null);
  return jobs;
}

/** GET /v1/usage with every page of its jobs. */
export async function allUsage(api: ApiClient, pageSize = PAGE): Promise<Omit<UsageResponse, "next">> {
  let first: UsageResponse | undefined;
  const jobs: UsageResponse["jobs"] = [];
  let after: string | null = null;
  do {
    const q = new URLSearchParams({ limit: String(pageSize) });
    if (after !== null) q.set("after", after);
    const page: UsageResponse = await api.json(usageResponse, "GET", `/v1/usage?${q}`);
    first ??= page;
    jobs.push(...page.jobs);
    after = page.next;
  } while (after !== null);
  return { tenants: first?.tenants ?? [], jobs };
}
