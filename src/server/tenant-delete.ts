import { GpupoolError } from "../core/errors.js";
import { isFinished } from "../core/job-states.js";
import type { Tenant } from "../store/tenants.js";
import type { Store } from "../store/store.js";
import { ADMIN_TENANT, type Caller } from "./auth.js";
import type { JobsService } from "./jobs-service.js";

/**
 * `DELETE /v1/tenants/{name}` (admin): refused while the tenant has live jobs (every state but
 * Succeeded, Failed and Cancelled), like `docker network rm` of a network in use. Otherwise its
 * finished jobs are deleted as `rm` deletes them (container, logs, record, events), then its
 * tokens stop working at once, then the tenant goes with its metered usage. The admin tenant stays.
 */
export async function deleteTenant(
  store: Store,
  jobs: JobsService,
  admin: Caller,
  name: string,
): Promise<Tenant> {
  store.tenants.require(name);
  if (name === ADMIN_TENANT)
    throw new GpupoolError("GP_INVALID_ARGUMENT", "the admin tenant cannot be deleted", { tenant: name });
  const all = store.jobs.list({ tenant: name });
  const live = all.filter((j) => !isFinished(j.state));
  if (live.length > 0)
    throw new GpupoolError(
      "GP_TENANT_HAS_LIVE_JOBS",
      `tenant ${name} has ${live.length} live job${live.length > 1 ? "s" : ""} (${live
        .slice(0, 5)
        .map((j) => `${j.id} ${j.state}`)
        .join(", ")}${live.length > 5 ? ", …" : ""}); stop them first`,
      { tenant: name, live: live.length },
    );
  for (const j of all) await jobs.remove(admin, j.id, false);
  // A revoke also forgets the tokens the store remembers as valid, so none works a moment longer.
  for (const t of store.tokens.list(name)) store.tokens.revoke(name, t.id);
  return store.tenants.delete(name);
}
