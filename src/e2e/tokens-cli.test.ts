import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, type TestServer, testServer } from "../server/test-support/server.js";
import { psCommand } from "../cli/client/job-views.js";
import { runCommand } from "../cli/client/jobs.js";
import { capture } from "./test-support/cli-io.js";
import { tenantsCommand } from "../cli/client/tenants.js";
import { tokensCommand } from "../cli/client/tokens.js";

/** `gpupool tokens list|revoke|rotate` and `tenants quota --max-priority` against a real server (fake engine). */

describe("CLI: tokens and the priority ceiling", () => {
  let t: TestServer;
  let dir: string;
  let admin: { server: string; token: string; config: string };
  beforeAll(async () => {
    t = await testServer();
    dir = await mkdtemp(join(tmpdir(), "gp-cli-tokens-"));
    await writeFile(join(dir, "empty.yaml"), "");
    admin = { server: t.server.url, token: ADMIN, config: join(dir, "empty.yaml") };
  });
  afterAll(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("revoke by the token's prefix: its next command fails with GP_UNAUTHORIZED; rotate prints a working new one", async () => {
    const token = await t.tenant("acme");
    const as = (tk: string) => ({ ...admin, token: tk });
    expect(await psCommand(as(token), capture())).toBe(0);

    const list = capture();
    expect(await tokensCommand("list", "acme", undefined, { ...admin, output: "json" }, list)).toBe(0);
    expect(JSON.parse(list.stdout()).tokens).toEqual([
      expect.objectContaining({ prefix: token.slice(0, 10) }),
    ]);
    const table = capture();
    await tokensCommand(undefined, "acme", undefined, admin, table);
    expect(table.stdout()).toMatch(/^ID\s+NAME\s+PREFIX\s+CREATED\s+LAST USED\s+REVOKED\n/);

    const issued = capture();
    await tenantsCommand("token", "acme", admin, issued);
    const second = issued.stdout().trim();
    const rotated = capture();
    expect(await tokensCommand("rotate", "acme", second.slice(0, 12), admin, rotated)).toBe(0);
    const third = /\(shown once\): (gp_\S+)/.exec(rotated.stdout())?.[1];
    expect(third).toBeDefined();
    await expect(psCommand(as(second), capture())).rejects.toMatchObject({ code: "GP_UNAUTHORIZED" });
    expect(await psCommand(as(third!), capture())).toBe(0);

    const revoked = capture();
    expect(await tokensCommand("revoke", "acme", token, admin, revoked)).toBe(0);
    expect(revoked.stdout()).toMatch(/^revoked token \S+ \(gp_\S+…\) of acme\n$/);
    await expect(psCommand(as(token), capture())).rejects.toMatchObject({ code: "GP_UNAUTHORIZED" });
    await expect(tokensCommand("revoke", "acme", token, admin, capture())).rejects.toMatchObject({
      code: "GP_TOKEN_NOT_FOUND",
    });
    await expect(tokensCommand("list", "acme", undefined, as(third!), capture())).rejects.toMatchObject({
      code: "GP_FORBIDDEN",
    });
  });

  it("tenants quota --max-priority sets the ceiling a run --priority is refused above", async () => {
    const token = await t.tenant("team-b");
    const as = { ...admin, token };
    const run = (priority: string) =>
      runCommand(
        "localhost/busybox:latest",
        ["true"],
        { ...as, priority, cpu: "100m", memory: "64Mi" },
        capture(),
      );
    await expect(run("high")).rejects.toMatchObject({ code: "GP_PRIORITY_FORBIDDEN" });
    const set = capture();
    await tenantsCommand("quota", "team-b", { ...admin, maxPriority: "high", output: "json" }, set);
    expect(JSON.parse(set.stdout()).tenant.quotas).toEqual({ maxPriority: 1000 });
    expect(await run("high")).toBe(0);
    await expect(run("system-critical")).rejects.toMatchObject({ code: "GP_PRIORITY_FORBIDDEN" });
    await tenantsCommand("quota", "team-b", { ...admin, maxPriority: "-5" }, capture());
    await expect(run("normal")).rejects.toMatchObject({ code: "GP_PRIORITY_FORBIDDEN" });
  });
});
