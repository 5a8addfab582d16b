import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gpupoolDashboard } from "./test-support/grafana-dashboard.js";
import { ADMIN, type TestServer, testJob, testServer } from "./test-support/server.js";

/**
 * Issue 11, acceptance 7: deploy/grafana/gpupool.json is the dashboard typed against Grafana's
 * model (test-support/grafana-dashboard.ts, checked by tsc), its panels are well formed, and every
 * PromQL expression in it names metrics a running server exports (with the admin token).
 */

const FILE = new URL("../../deploy/grafana/gpupool.json", import.meta.url);
const text = `${JSON.stringify(gpupoolDashboard, null, 2)}\n`;
if (process.env.UPDATE_GRAFANA) writeFileSync(FILE, text);

type Target = { refId: string; expr: string };
type Panel = {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Target[];
};

describe("the Grafana dashboard", () => {
  const json = JSON.parse(readFileSync(FILE, "utf8")) as {
    panels: Panel[];
    schemaVersion: number;
    uid: string;
  };
  let t: TestServer;
  let exported: Set<string>;
  beforeAll(async () => {
    t = await testServer();
    // Every series family appears once something exists: a tenant with a quota and a placed job.
    await t.tenant("team", { gpuMilli: 1000 });
    await t.until(
      (await t.submit(testJob("g", { command: ["sleep", "60"], gpu: "0.5" })))[0]!.id,
      (j) => j.state === "Running",
    );
    const res = await t.server.app.inject({
      method: "GET",
      url: "/metrics",
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    exported = new Set(
      res.body
        .split("\n")
        .filter((l) => l.startsWith("# TYPE "))
        .flatMap((l) => {
          const [, , name, type] = l.split(" ");
          return type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!];
        }),
    );
  }, 30_000);
  afterAll(() => t?.close());

  it("is the typed source, written out (npm run grafana:write rewrites it)", () => {
    expect(readFileSync(FILE, "utf8")).toBe(text);
    expect(json.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(json.uid).toMatch(/^[a-z0-9-]{1,40}$/);
  });

  it("has panels with unique ids, a place on the 24-column grid that overlaps none, and queries", () => {
    const ids = json.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of json.panels) {
      expect(p.title).not.toBe("");
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });

  it("names in every PromQL expression only metrics the server exports", () => {
    const used = json.panels.flatMap((p) =>
      p.targets.flatMap((q) => q.expr.match(/\bgpupool_[a-z0-9_]+/g) ?? []),
    );
    expect(used.length).toBeGreaterThan(8);
    const missing = [...new Set(used)].filter((m) => !exported.has(m));
    expect(missing, `exported: ${[...exported].filter((m) => m.startsWith("gpupool_")).join(", ")}`).toEqual(
      [],
    );
  });
});
