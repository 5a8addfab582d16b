import type { FastifyInstance, FastifyRequest } from "fastify";
import type { z } from "zod";
import { DEFAULT_PAGE, type UsageResponse, usageQuery } from "../api/schemas.js";
import { meteredGpuMilli } from "../agent/workload.js";
import { type Store, usageOf } from "../store/index.js";
import type { Caller } from "./auth.js";

/**
 * GET /v1/usage: each tenant's GPU-seconds and a page of its jobs'. The totals come from the store's
 * running totals (usage_totals, one row a tenant) and the page from one LIMIT query, so the answer
 * costs the same at ten finished jobs or ten thousand; only the Running jobs are read whole, to add
 * their attempts up to now (per-second billing).
 */
export function registerUsageRoute(
  app: FastifyInstance,
  store: Store,
  caller: (req: FastifyRequest) => Caller,
  parse: <T>(schema: z.ZodType<T>, value: unknown, what: string) => T,
  now: () => number,
): void {
  app.get("/v1/usage", async (req) => {
    const q = parse(usageQuery, req.query, "query");
    const who = caller(req);
    const tenant = who.admin ? undefined : who.tenant;
    const limit = q.limit ?? DEFAULT_PAGE;
    const running = store.jobs.list({ states: ["Running"], ...(tenant !== undefined ? { tenant } : {}) });
    const live = new Map<string, number>();
    for (const j of running) {
      if (j.startedAt === null) continue;
      live.set(j.id, meteredGpuMilli(j.allocation) * Math.max(0, now() - j.startedAt));
    }
    const rows = store.usage.jobsPage({
      ...(tenant !== undefined ? { tenant } : {}),
      ...(q.after !== undefined ? { afterSeq: Number(q.after) } : {}),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const jobs = page
      .map((r) => ({
        job: r.job,
        name: r.name,
        tenant: r.tenant,
        ...usageOf(r.gpuMilliMs + (live.get(r.job) ?? 0)),
      }))
      .filter((u) => u.gpuMilliMs > 0);
    // Tenants' totals are the store's (deleted jobs' usage included) plus their running attempts.
    const stored = tenant !== undefined ? { [tenant]: store.usage.ofTenant(tenant) } : store.usage.byTenant();
    const totals = new Map(Object.entries(stored).map(([t, u]) => [t, u.gpuMilliMs]));
    for (const j of running) totals.set(j.tenant, (totals.get(j.tenant) ?? 0) + (live.get(j.id) ?? 0));
    const last = page.at(-1);
    return {
      tenants: [...totals]
        .filter(([, ms]) => ms > 0)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([t, ms]) => ({ tenant: t, ...usageOf(ms) })),
      jobs,
      next: rows.length > limit && last ? String(last.seq) : null,
    } satisfies UsageResponse;
  });
}
