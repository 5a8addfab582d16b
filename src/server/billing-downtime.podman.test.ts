import { afterAll, describe, expect, it } from "vitest";
import type { JobView } from "../api/schemas.js";
import { podmanUnavailable } from "../engines/test-support/availability.js";
import { api, podmanSession } from "./test-support/kill9-suite.js";

/**
 * Issue 10, acceptance 8 on real Podman: a container that exits while `gpupool up` is down is
 * billed to the engine's FinishedAt (± 1 s), not to the restart that noticed it.
 */

const why = podmanUnavailable();
if (why && process.env.CI) throw new Error(`Podman is required in CI: ${why}`);
if (why) console.warn(`skipping the billing-while-down test on Podman: ${why}`);

describe.skipIf(why !== undefined)("billing across downtime (real Podman)", () => {
  const session = podmanSession("gp-bill-");
  afterAll(() => session.stop(), 60_000);

  it("a job that ends while gpupool is down is billed to its FinishedAt, not to the restart", async () => {
    const { jobs } = await api<{ jobs: JobView[] }>((await session.start()).url, "POST", "/v1/jobs", {
      name: "short",
      image: "localhost/busybox:latest",
      gpu: 0.5,
      command: ["sh", "-c", "sleep 2"],
    });
    const id = jobs[0]!.id;
    const get = async () => (await api<{ job: JobView }>(session.up.url, "GET", `/v1/jobs/${id}`)).job;
    for (let j = await get(); j.state !== "Running"; j = await get())
      await new Promise((r) => setTimeout(r, 100));
    await session.kill9();
    // Down for 8 s; the container ends 2 s after its start, while nothing watches it.
    await new Promise((r) => setTimeout(r, 8000));
    const downFor = Date.now();
    await session.restart();
    let job = await get();
    while (job.state !== "Succeeded") {
      if (Date.now() - downFor > 30_000) throw new Error(`still ${job.state}`);
      await new Promise((r) => setTimeout(r, 100));
      job = await get();
    }
    const ran = (Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)) / 1000;
    const usage = await api<{ jobs: { job: string; gpuSeconds: number }[] }>(
      session.up.url,
      "GET",
      "/v1/usage",
    );
    const billed = usage.jobs.find((u) => u.job === id)!.gpuSeconds;
    console.log(
      `ran ${ran.toFixed(2)} s (engine times) across 8 s of downtime; billed ${billed.toFixed(2)} GPU-s at 0.5 GPU`,
    );
    expect(Math.abs(ran - 2)).toBeLessThan(1);
    expect(Math.abs(billed - 0.5 * ran)).toBeLessThan(0.05);
    // Billed to the restart it would be 0.5 × ~10 s.
    expect(billed).toBeLessThan(1.5);
  }, 120_000);
});
