import {
  revokedTokenResponse,
  rotatedTokenResponse,
  type TokenView,
  tokensResponse,
} from "../../api/schemas.js";
import { GpupoolError } from "../../core/errors.js";
import type { ApiClient } from "./http.js";
import { type CommonFlags, client, type Io, stdio } from "./jobs.js";
import { age, emit, grid, outputFormat } from "./output.js";

/** `tokens list|revoke|rotate TENANT [TOKEN]` over the admin's token routes. */

const path = (tenant: string) => `/v1/tenants/${encodeURIComponent(tenant)}/tokens`;

/** The tenant's token a reference names: its id, or a prefix of its id or of the token (gp_…) that one valid token has. */
async function resolveToken(api: ApiClient, tenant: string, ref: string): Promise<TokenView> {
  const { tokens } = await api.json(tokensResponse, "GET", path(tenant));
  const exact = tokens.find((t) => t.id === ref);
  if (exact) return exact;
  const byToken = (t: TokenView) =>
    ref.startsWith("gp_") && ref.length >= 4 && (ref.startsWith(t.prefix) || t.prefix.startsWith(ref));
  const matches = tokens.filter((t) => t.revokedAt === null && (t.id.startsWith(ref) || byToken(t)));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0)
    throw new GpupoolError("GP_TOKEN_NOT_FOUND", `tenant ${tenant} has no valid token ${ref}`, { tenant });
  throw new GpupoolError(
    "GP_INVALID_ARGUMENT",
    `${ref} matches ${matches.length} tokens of ${tenant} (${matches.map((t) => t.id).join(", ")}): give the token's id`,
  );
}

export async function tokensCommand(
  action: string | undefined,
  tenant: string | undefined,
  ref: string | undefined,
  f: CommonFlags,
  io: Io = stdio,
): Promise<number> {
  const api = client(f);
  if (!tenant)
    throw new GpupoolError("GP_INVALID_ARGUMENT", `tokens ${action ?? "list"} needs a tenant name`);
  const need = () => {
    if (!ref)
      throw new GpupoolError("GP_INVALID_ARGUMENT", `tokens ${action} needs a token id (or its prefix)`);
    return ref;
  };
  switch (action ?? "list") {
    case "list": {
      const doc = await api.json(tokensResponse, "GET", path(tenant));
      emit(
        outputFormat(f.output),
        doc,
        () =>
          grid(
            ["ID", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED"],
            doc.tokens.map((t) => [
              t.id,
              t.name || "-",
              t.prefix,
              age(t.createdAt),
              age(t.lastUsedAt),
              age(t.revokedAt),
            ]),
          ),
        io.out,
      );
      return 0;
    }
    case "revoke": {
      const t = await resolveToken(api, tenant, need());
      const doc = await api.json(
        revokedTokenResponse,
        "DELETE",
        `${path(tenant)}/${encodeURIComponent(t.id)}`,
      );
      emit(
        outputFormat(f.output),
        doc,
        () => `revoked token ${doc.revoked.id} (${doc.revoked.prefix}…) of ${tenant}\n`,
        io.out,
      );
      return 0;
    }
    case "rotate": {
      const t = await resolveToken(api, tenant, need());
      const doc = await api.json(
        rotatedTokenResponse,
        "POST",
        `${path(tenant)}/${encodeURIComponent(t.id)}/rotate`,
      );
      emit(
        outputFormat(f.output),
        doc,
        () =>
          `revoked ${doc.revoked.id} (${doc.revoked.prefix}…); the new token of ${tenant} (shown once): ${doc.token}\n`,
        io.out,
      );
      return 0;
    }
    default:
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `tokens: unknown action "${action}" (list, revoke, rotate)`,
      );
  }
}
