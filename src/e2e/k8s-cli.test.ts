import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../server/test-support/kill9-suite.js";
import { BIN } from "./test-support/gpupool-bin.js";

const run = promisify(execFile);
async function gpupool(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { timeout: 20_000 });
    return { code: 0, stderr: r.stderr, stdout: r.stdout };
  } catch (err) {
    const e = err as { code: number; stderr: string; stdout: string };
    return { code: e.code, stderr: e.stderr, stdout: e.stdout };
  }
}

describe("gpupool k8s: bad input", () => {
  beforeAll(() => ensureBuilt());

  it("a missing kubeconfig or an API server that does not answer: GP_KUBE_UNREACHABLE, exit 4", async () => {
    const missing = await gpupool(["k8s", "scheduler", "--kubeconfig", "/nonexistent/kubeconfig"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/error\[GP_KUBE_UNREACHABLE\]: cannot use the kubeconfig/);
    const dir = mkdtempSync(join(tmpdir(), "gpupool-kc-"));
    const kc = join(dir, "kubeconfig");
    writeFileSync(
      kc,
      "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: t\ncurrent-context: c\n",
    );
    for (const cmd of ["scheduler", "agent"]) {
      const down = await gpupool(["k8s", cmd, "--kubeconfig", kc]);
      expect(down.code, cmd).toBe(4);
      expect(down.stderr).toMatch(
        /error\[GP_KUBE_UNREACHABLE\]: the API server at https:\/\/127\.0\.0\.1:1 did not answer/,
      );
    }
  });

  it("bad flags are argument errors (exit 2)", async () => {
    for (const args of [
      ["k8s", "scheduler", "--lease-duration", "0"],
      ["k8s", "scheduler", "--concurrency", "many"],
      ["k8s", "scheduler", "--policy", "nope"],
      ["k8s", "scheduler", "--queues", "/nonexistent/queues.yaml"],
      ["k8s", "agent", "--slots", "0"],
      ["k8s", "agent", "--interval", "soon"],
      ["k8s", "agent", "--simulate", "3xNoSuchGPU"],
    ]) {
      const r = await gpupool(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/error\[GP_(INVALID_ARGUMENT|UNKNOWN_POLICY|UNKNOWN_GPU_MODEL)\]/);
    }
  });

  it("manifests prints YAML that names the scheduler", async () => {
    const r = await gpupool(["k8s", "manifests", "--namespace", "gpu", "--image", "example/gpupool:1"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kind: Deployment/);
    expect(r.stdout).toMatch(/image: example\/gpupool:1/);
    expect(r.stdout).toMatch(/namespace: gpu\n/);
    expect(r.stdout).toMatch(/schedulerName: gpupool/);
  });
});
