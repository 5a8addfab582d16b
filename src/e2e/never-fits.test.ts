import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cliServer, gpupool } from "./test-support/gpupool-bin.js";

/**
 * A newcomer's job never waits forever in silence (real bin/gpupool against a real server): what
 * could never fit is refused at once with the limit named; what waits for a busy GPU says why.
 */

let srv: CliServer;
beforeAll(async () => {
  srv = await cliServer(["--simulate", "2xA100-80GB"]);
}, 60_000);
afterAll(async () => {
  await srv?.close();
});

const IMAGE = "localhost/busybox:latest";

describe("jobs that can never fit are refused at submission", () => {
  const rows: [string, string[], RegExp][] = [
    ["--gpus 3 on a 2-GPU host", ["--gpus", "3"], /asks 3 GPUs; the largest node has 2/],
    [
      "--gpu-memory 100Gi on 80 GB GPUs",
      ["--gpu", "0.5", "--gpu-memory", "100Gi"],
      /asks 102400 MiB of GPU memory; the largest GPU has 81920 MiB/,
    ],
    [
      "--gpu-model H100-80GB on an A100 host",
      ["--gpus", "1", "--gpu-model", "H100-80GB"],
      /model H100-80GB; this host has A100-80GB/,
    ],
  ];
  for (const [name, flags, message] of rows)
    it(name, async () => {
      const r = await gpupool(["run", ...flags, IMAGE, "--", "true"], srv.env);
      expect(r.code, r.err).toBe(5);
      expect(r.err).toMatch(/error\[GP_NEVER_FITS\]/);
      expect(r.err).toMatch(message);
    });
});

describe("a job waiting for a busy GPU", () => {
  it("run --wait prints its pending reason within 2 s", async () => {
    const busy = await gpupool(["run", "--gpus", "2", IMAGE, "--", "sleep", "60"], srv.env);
    expect(busy.code, busy.err).toBe(0);
    const started = Date.now();
    let seenAt = 0;
    const r = await gpupool(["run", "--gpus", "1", "--wait", IMAGE, "--", "true"], srv.env, {
      timeoutMs: 10_000,
      onErr: (err, child) => {
        if (!seenAt && /pending: .*GPU/i.test(err)) {
          seenAt = Date.now();
          child.kill("SIGKILL");
        }
      },
    });
    expect(r.err).toMatch(/pending: /);
    expect(seenAt - started).toBeLessThan(2000);
  });
});
