import { mkdtemp, rm } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { detectEngine } from "./detect.js";
import { median, timeBarePodmanRun, timeThroughEngine } from "./start-latency.js";
import { podmanUnavailable } from "./test-support/availability.js";
import { BUSYBOX_REF, ensureBusyboxImage } from "./test-support/busybox-image.js";

describe.skipIf(podmanUnavailable() !== undefined && !process.env.CI)(
  "container start latency (podman)",
  () => {
    it("create → start → exit → remove through the libpod API costs at most 1.2× a bare `podman run --rm`", async () => {
      const dataDir = await mkdtemp("/tmp/gpl-");
      const detected = await detectEngine({ dataDir, sockets: [], env: { PATH: process.env.PATH } });
      try {
        await ensureBusyboxImage(detected.engine);
        const api: number[] = [];
        const bare: number[] = [];
        // Interleaved, so load from other test files weighs on both alike; the first round warms caches.
        for (let i = 0; i < 12; i++) {
          const a = await timeThroughEngine(detected.engine, {
            name: `gp-lat-${process.pid}-${i}`,
            image: BUSYBOX_REF,
            command: ["true"],
          });
          const b = await timeBarePodmanRun(BUSYBOX_REF, ["true"]);
          if (i > 0) {
            api.push(a);
            bare.push(b);
          }
        }
        const ratio = median(api) / median(bare);
        console.info(
          `[gpupool] container start, median of ${api.length}: API ${median(api).toFixed(0)} ms, bare podman run ${median(bare).toFixed(0)} ms, ratio ${ratio.toFixed(2)}`,
        );
        expect(ratio).toBeLessThanOrEqual(1.2);
      } finally {
        await detected.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    }, 120_000);
  },
);
