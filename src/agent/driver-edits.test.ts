import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nvidiaDriverEdits } from "./driver-edits.js";

/** The driver edits from `nvidia-ctk cdi generate`, with a stand-in nvidia-ctk on PATH. */

describe("nvidiaDriverEdits", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gp-ctk-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function ctk(script: string): Promise<string> {
    const bin = await mkdtemp(join(dir, "bin-"));
    await writeFile(join(bin, "nvidia-ctk"), `#!/bin/sh\n${script}\n`);
    await chmod(join(bin, "nvidia-ctk"), 0o755);
    return bin;
  }

  it("takes the top-level containerEdits of the generated spec", async () => {
    const edits = {
      env: ["NVIDIA_CTK_LIBCUDA_DIR=/usr/lib/x86_64-linux-gnu"],
      mounts: [
        {
          hostPath: "/usr/lib/libcuda.so.1",
          containerPath: "/usr/lib/libcuda.so.1",
          options: ["ro", "bind"],
        },
      ],
    };
    const bin = await ctk(
      `[ "$1 $2 $3" = "cdi generate --format=json" ] || exit 9; echo '${JSON.stringify({ cdiVersion: "0.5.0", kind: "nvidia.com/gpu", devices: [], containerEdits: edits })}'`,
    );
    expect(await nvidiaDriverEdits({ PATH: bin })).toEqual({ edits });
  });

  it("says why when nvidia-ctk is missing, fails or prints garbage", async () => {
    expect((await nvidiaDriverEdits({ PATH: join(dir, "none") })).problem).toMatch(
      /nvidia-ctk is not installed/,
    );
    expect((await nvidiaDriverEdits({ PATH: await ctk("echo boom >&2; exit 3") })).problem).toMatch(
      /failed \(3\): boom/,
    );
    expect((await nvidiaDriverEdits({ PATH: await ctk("echo not-json") })).problem).toMatch(/not JSON/);
  });
});
