import { GpupoolError } from "./errors.js";
import { PRIORITY_CLASSES } from "./queue.js";

/**
 * The highest priority a tenant may submit: a higher one preempts other tenants' work, so it is the
 * admin's to grant (a tenant's `maxPriority` quota). Without one a tenant may go up to `normal`; the
 * admin tenant has no ceiling.
 */
export const DEFAULT_PRIORITY_CEILING = PRIORITY_CLASSES.normal ?? 0;

/** "1000 (high)" for a class's value, else the number. */
export function describePriority(p: number): string {
  const name = Object.entries(PRIORITY_CLASSES).find(([, v]) => v === p)?.[0];
  return name ? `${p} (${name})` : String(p);
}

/** Throws GP_PRIORITY_FORBIDDEN when `priority` is above the tenant's ceiling (none: `normal`). */
export function checkPriorityCeiling(tenant: string, priority: number, ceiling: number | undefined): void {
  const max = ceiling ?? DEFAULT_PRIORITY_CEILING;
  if (priority <= max) return;
  throw new GpupoolError(
    "GP_PRIORITY_FORBIDDEN",
    `spec.priority: tenant ${tenant} may submit priorities up to ${describePriority(max)}${ceiling === undefined ? ", the default" : ""}; this job asks ${describePriority(priority)}`,
    { path: "spec.priority", tenant, priority, maxPriority: max },
  );
}
