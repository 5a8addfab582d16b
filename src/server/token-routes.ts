import type { FastifyInstance, FastifyRequest } from "fastify";
import type { z } from "zod";
import {
  noQuery,
  type RevokedTokenResponse,
  type RotatedTokenResponse,
  tenantPathParams,
  tokenPathParams,
  type TokensResponse,
  type TokenView,
} from "../api/schemas.js";
import { GpupoolError } from "../core/errors.js";
import type { ApiToken, Store } from "../store/index.js";
import { type Caller, requireAdmin } from "./auth.js";

/**
 * The admin's routes for a tenant's API tokens besides issuing one (app.ts): list, revoke, rotate.
 * A revoked token's next request is 401: TokenRepo forgets the tokens it remembered as valid on every
 * revoke.
 */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function tokenView(t: ApiToken): TokenView {
  return {
    id: t.id,
    tenant: t.tenant,
    name: t.name,
    prefix: t.prefix,
    createdAt: new Date(t.createdAt).toISOString(),
    lastUsedAt: iso(t.lastUsedAt),
    revokedAt: iso(t.revokedAt),
  };
}

export function registerTokenRoutes(
  app: FastifyInstance,
  store: Store,
  caller: (req: FastifyRequest) => Caller,
  parse: <T>(schema: z.ZodType<T>, value: unknown, what: string) => T,
): void {
  /** The admin's request for a tenant that exists (GP_TENANT_NOT_FOUND otherwise). */
  const tenantOf = (req: FastifyRequest, params: unknown) => {
    requireAdmin(caller(req));
    const p = parse(tenantPathParams, params, "path");
    return store.tenants.require(p.name).name;
  };
  const notFound = (tenant: string, id: string) =>
    new GpupoolError("GP_TOKEN_NOT_FOUND", `tenant ${tenant} has no token ${id}`, { tenant, id });

  app.get<{ Params: { name: string } }>("/v1/tenants/:name/tokens", async (req) => {
    const tenant = tenantOf(req, req.params);
    parse(noQuery, req.query, "query");
    return { tokens: store.tokens.list(tenant).map(tokenView) } satisfies TokensResponse;
  });

  app.delete<{ Params: { name: string; id: string } }>("/v1/tenants/:name/tokens/:id", async (req) => {
    const tenant = tenantOf(req, { name: req.params.name });
    const { id } = parse(tokenPathParams, req.params, "path");
    if (!store.tokens.get(tenant, id)) throw notFound(tenant, id);
    store.tokens.revoke(tenant, id);
    const t = store.tokens.get(tenant, id);
    if (!t) throw notFound(tenant, id);
    return { revoked: tokenView(t) } satisfies RevokedTokenResponse;
  });

  app.post<{ Params: { name: string; id: string } }>(
    "/v1/tenants/:name/tokens/:id/rotate",
    async (req, reply) => {
      const tenant = tenantOf(req, { name: req.params.name });
      const { id } = parse(tokenPathParams, req.params, "path");
      const r = store.tokens.rotate(tenant, id);
      return reply.status(201).send({
        token: r.token,
        id: r.record.id,
        prefix: r.record.prefix,
        revoked: tokenView(r.revoked),
      } satisfies RotatedTokenResponse);
    },
  );
}
