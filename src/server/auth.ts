import type { FastifyRequest } from "fastify";
import { GpupoolError } from "../core/errors.js";
import type { Store } from "../store/index.js";

/** The admin tenant: its tokens may manage tenants and see every tenant's jobs. */
export const ADMIN_TENANT = "admin";

export interface Caller {
  readonly tenant: string;
  readonly admin: boolean;
}

/** The caller behind `Authorization: Bearer gp_…`, or GP_UNAUTHORIZED. */
export function authenticate(store: Store, req: FastifyRequest): Caller {
  const header = req.headers.authorization;
  const m = typeof header === "string" ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!m) throw new GpupoolError("GP_UNAUTHORIZED", "missing API token (Authorization: Bearer gp_...)");
  const tenant = store.tokens.requireTenant(m[1]!);
  return { tenant, admin: tenant === ADMIN_TENANT };
}

export function requireAdmin(caller: Caller): void {
  if (!caller.admin) throw new GpupoolError("GP_FORBIDDEN", `tenant ${caller.tenant} is not the admin`);
}
