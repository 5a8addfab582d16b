import { createHash, randomBytes, randomUUID } from "node:crypto";
import { GpupoolError } from "../core/errors.js";
import { type Db, inTransaction, prepared } from "./db.js";

/** What the store keeps about a token: never the token itself, only its SHA-256 and a short prefix to show. */
export interface ApiToken {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  /** The first characters of the token (e.g. "gp_3kZ9xQ"), safe to show in lists and logs. */
  readonly prefix: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

interface TokenRow {
  id: string;
  tenant: string;
  name: string;
  prefix: string;
  hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export const TOKEN_PREFIX_LENGTH = 10;
/** How stale a token's last-used stamp may get before a request refreshes it. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** SHA-256 hex of a token. Tokens carry 256 random bits, so a fast unsalted hash is enough. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** How many valid tokens requireTenant remembers (cleared whole when full or on any revoke). */
const REMEMBERED_TOKENS = 1024;

export class TokenRepo {
  /**
   * Tokens seen valid, by plaintext, with when their last use was stamped: a request with a known
   * token then costs no hash and no query. Only this process writes the store (one gpupool per data
   * directory), every revoke goes through revoke() (rotate() too), which forgets them all, and any
   * change of a tenant (its deletion, whose tokens go with it) makes the store call forget().
   */
  private readonly valid = new Map<string, { tenant: string; stampedAt: number }>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** Issues a token for a tenant. The plaintext is returned this once and stored nowhere. */
  create(tenant: string, name = ""): { token: string; record: ApiToken } {
    const token = `gp_${randomBytes(32).toString("base64url")}`;
    const record: ApiToken = {
      id: randomUUID(),
      tenant,
      name,
      prefix: token.slice(0, TOKEN_PREFIX_LENGTH),
      createdAt: this.now(),
      lastUsedAt: null,
      revokedAt: null,
    };
    inTransaction(this.db, () => {
      if (!prepared(this.db, "SELECT 1 FROM tenants WHERE name = ?").get(tenant)) {
        throw new GpupoolError("GP_TENANT_NOT_FOUND", `no tenant ${tenant}`, { tenant });
      }
      prepared(
        this.db,
        "INSERT INTO api_tokens (id, tenant, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(record.id, tenant, name, record.prefix, hashToken(token), record.createdAt);
    });
    return { token, record };
  }

  /** The token's record when it is valid (known, not revoked), stamping its last use; otherwise undefined. */
  authenticate(token: string): ApiToken | undefined {
    const row = prepared(this.db, "SELECT * FROM api_tokens WHERE hash = ? AND revoked_at IS NULL").get(
      hashToken(token),
    ) as TokenRow | undefined;
    if (!row) return undefined;
    const at = this.now();
    // Last use is a minute-granularity fact: stamping it on every request made every API call a write.
    if (row.last_used_at === null || at - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
      prepared(this.db, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?").run(at, row.id);
      return toToken({ ...row, last_used_at: at });
    }
    return toToken(row);
  }

  /** The tenant a token belongs to, or GP_UNAUTHORIZED. */
  requireTenant(token: string): string {
    const hit = this.valid.get(token);
    if (hit && this.now() - hit.stampedAt < LAST_USED_RESOLUTION_MS) return hit.tenant;
    const t = this.authenticate(token);
    if (!t) throw new GpupoolError("GP_UNAUTHORIZED", "the API token is unknown or revoked");
    if (this.valid.size >= REMEMBERED_TOKENS) this.valid.clear();
    this.valid.set(token, { tenant: t.tenant, stampedAt: t.lastUsedAt ?? this.now() });
    return t.tenant;
  }

  list(tenant: string): ApiToken[] {
    return (
      prepared(this.db, "SELECT * FROM api_tokens WHERE tenant = ? ORDER BY created_at, id").all(
        tenant,
      ) as TokenRow[]
    ).map(toToken);
  }

  /** A tenant's token by id (revoked ones too), or undefined. */
  get(tenant: string, id: string): ApiToken | undefined {
    const row = prepared(this.db, "SELECT * FROM api_tokens WHERE id = ? AND tenant = ?").get(id, tenant) as
      | TokenRow
      | undefined;
    return row ? toToken(row) : undefined;
  }

  /**
   * Replaces a valid token of a tenant with a new one of the same name, in one transaction: the old
   * one is revoked (its next request is 401), the new plaintext returned this once. A token that is
   * unknown or already revoked is GP_TOKEN_NOT_FOUND.
   */
  rotate(tenant: string, id: string): { token: string; record: ApiToken; revoked: ApiToken } {
    return inTransaction(this.db, () => {
      const old = this.get(tenant, id);
      if (!old || old.revokedAt !== null)
        throw new GpupoolError(
          "GP_TOKEN_NOT_FOUND",
          `tenant ${tenant} has no valid token ${id}${old ? ` (revoked ${new Date(old.revokedAt ?? 0).toISOString()})` : ""}`,
          { tenant, id },
        );
      this.revoke(tenant, id);
      return { ...this.create(tenant, old.name), revoked: this.get(tenant, id) ?? old };
    });
  }

  /** Forgets every remembered token (the store calls it on any tenant change, a tenant's deletion included). */
  forget(): void {
    this.valid.clear();
  }

  /** Revokes a tenant's token; returns whether one was revoked (idempotent, scoped to the tenant). */
  revoke(tenant: string, id: string): boolean {
    this.valid.clear();
    const res = prepared(
      this.db,
      "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND tenant = ? AND revoked_at IS NULL",
    ).run(this.now(), id, tenant);
    return res.changes > 0;
  }
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
