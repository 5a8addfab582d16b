import { afterEach, describe, expect, it } from "vitest";
import { FakeEngine } from "../engines/fake.js";
import { inventoryToNodeSpec } from "../node/node-spec.js";
import { simulateGpus } from "../node/simulate.js";
import { normalizeSpec } from "../api/job-spec.js";
import { Store } from "../store/index.js";
import { NodeAgent } from "./node-agent.js";

/**
 * The window of pending jobs a cycle considers: bounded however long the backlog, yet one tenant's
 * backlog never hides another tenant's jobs, and the jobs left out say why they wait.
 */

let controller: NodeAgent | undefined;
afterEach(async () => {
  await controller?.close();
  controller = undefined;
});

function setup(window: number) {
  const store = Store.open(":memory:");
  for (const t of ["a", "b"]) store.tenants.create(t);
  const node = inventoryToNodeSpec(simulateGpus("1xA100-80GB"), {
    name: "n1",
    cpuMilli: 4000,
    memoryMiB: 8192,
  });
  controller = new NodeAgent({ store, engine: new FakeEngine(), node, instanceId: "win", window });
  const submit = (tenant: string, name: string, extra: Record<string, unknown> = {}) =>
    store.jobs.submit(tenant, {
      name,
      spec: normalizeSpec({
        name,
        image: "localhost/busybox:latest",
        cpu: "100m",
        memory: "16Mi",
        ...extra,
      }) as never,
    }).job;
  return { store, controller, submit };
}

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("node agent: the pending window", () => {
  it("a later tenant's job runs past another tenant's long backlog; jobs beyond the window read as queued", async () => {
    const { store, controller, submit } = setup(4);
    // Tenant a: 40 whole-GPU jobs on a 1-GPU host; one runs, 39 wait.
    const backlog = Array.from({ length: 40 }, (_, i) =>
      submit("a", `a-${i}`, { gpu: 1, command: ["sleep", "30"] }),
    );
    const late = submit("b", "b-0", { command: ["true"] });
    expect(controller.reasonFor(store.jobs.require(late.id))).toBeUndefined(); // no cycle yet
    controller.start();
    await until(() => store.jobs.require(late.id).state === "Succeeded");
    await until(() => store.jobs.require(backlog[0]!.id).state === "Running");
    const reason = (j: { id: string }) => controller.reasonFor(store.jobs.require(j.id));
    // In the window (a's first 16): the scheduler's own reason.
    expect(reason(backlog[1]!)).toMatch(/GPU/);
    expect(reason(backlog[1]!)).not.toMatch(/^queued/);
    // Beyond both the window and a's first 16.
    expect(reason(backlog[30]!)).toMatch(/^queued: 4 earlier or higher-priority jobs/);
    expect(reason(backlog[0]!)).toBeUndefined(); // not pending
  });

  it("a gang is considered whole even when its members straddle the window", async () => {
    const { store, controller, submit } = setup(2);
    for (let i = 0; i < 20; i++) submit("a", `hog-${i}`, { gpu: 1, command: ["sleep", "30"] });
    // b's first 16 pending jobs end with the gang's first member; the second is only in by its gang.
    for (let i = 0; i < 15; i++) submit("b", `b-hog-${i}`, { gpu: 1, command: ["sleep", "30"] });
    const gang = ["0", "1"].map(
      (r) =>
        store.jobs.submit("b", {
          name: `pair-${r}`,
          gang: "g-pair",
          spec: normalizeSpec({
            name: "pair",
            image: "localhost/busybox:latest",
            cpu: "100m",
            memory: "16Mi",
            replicas: 2,
            command: ["true"],
          }) as never,
        }).job,
    );
    controller.start();
    for (const m of gang) await until(() => store.jobs.require(m.id).state === "Succeeded");
  });
});
