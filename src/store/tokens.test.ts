import { describe, expect, it } from "vitest";
import { Store } from "./store.js";

describe("TokenRepo: revoke, rotate and the remembered valid tokens", () => {
  it("a token remembered as valid is refused at once after revoke() or rotate()", () => {
    let now = 1_000_000;
    const store = Store.open(":memory:", { now: () => now });
    store.tenants.create("acme");
    const a = store.tokens.create("acme", "a");
    const b = store.tokens.create("acme", "b");
    expect(store.tokens.requireTenant(a.token)).toBe("acme");
    expect(store.tokens.requireTenant(b.token)).toBe("acme");
    now += 10; // well inside the minute a token is remembered
    expect(store.tokens.revoke("acme", a.record.id)).toBe(true);
    expect(() => store.tokens.requireTenant(a.token)).toThrow(
      expect.objectContaining({ code: "GP_UNAUTHORIZED" }),
    );
    const r = store.tokens.rotate("acme", b.record.id);
    expect(r.record).toMatchObject({ tenant: "acme", name: "b", revokedAt: null });
    expect(r.revoked).toMatchObject({ id: b.record.id, revokedAt: now });
    expect(() => store.tokens.requireTenant(b.token)).toThrow(
      expect.objectContaining({ code: "GP_UNAUTHORIZED" }),
    );
    expect(store.tokens.requireTenant(r.token)).toBe("acme");
    expect(() => store.tokens.rotate("acme", b.record.id)).toThrow(
      expect.objectContaining({ code: "GP_TOKEN_NOT_FOUND" }),
    );
    expect(() => store.tokens.rotate("other", r.record.id)).toThrow(
      expect.objectContaining({ code: "GP_TOKEN_NOT_FOUND" }),
    );
    store.close();
  });

  it("any change of a tenant forgets the remembered tokens (a tenant deleted with its tokens is not served from memory)", () => {
    const store = Store.open(":memory:");
    store.tenants.create("acme");
    const a = store.tokens.create("acme");
    expect(store.tokens.requireTenant(a.token)).toBe("acme");
    store.db.prepare("DELETE FROM api_tokens WHERE tenant = 'acme'").run(); // as a cascade would
    expect(store.tokens.requireTenant(a.token)).toBe("acme"); // still remembered
    store.tenants.setQuotas("acme", {}); // emits a tenant change
    expect(() => store.tokens.requireTenant(a.token)).toThrow(
      expect.objectContaining({ code: "GP_UNAUTHORIZED" }),
    );
    store.close();
  });
});
