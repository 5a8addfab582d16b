import { describe, expect, it } from "vitest";
import { containerFromCgroup, containersOfPids, readProcCgroup } from "./proc-cgroup.js";
import { runCommand } from "./run-command.js";
import { PODMAN_IMAGE, podmanAvailability } from "./test-support/podman.js";

const ID = "94f20c1c1911902e878aa83e2beb75dfcfa7dcd228ec2b480be0074206054289";

describe("containerFromCgroup", () => {
  const cases: [string, string, { id: string; runtime: string } | null][] = [
    [
      "podman, cgroupfs manager (v1)",
      `4:memory:/libpod_parent/libpod-${ID}\n0::/libpod_parent/libpod-${ID}\n`,
      { id: ID, runtime: "podman" },
    ],
    [
      "podman, systemd manager (v2)",
      `0::/machine.slice/libpod-${ID}.scope/container\n`,
      { id: ID, runtime: "podman" },
    ],
    ["docker, cgroupfs (v1)", `12:pids:/docker/${ID}\n`, { id: ID, runtime: "docker" }],
    ["docker, systemd (v2)", `0::/system.slice/docker-${ID}.scope\n`, { id: ID, runtime: "docker" }],
    [
      "containerd under kubepods (systemd)",
      `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-${ID}.scope\n`,
      { id: ID, runtime: "containerd" },
    ],
    ["cri-o", `0::/kubepods.slice/kubepods-pod1.slice/crio-${ID}.scope\n`, { id: ID, runtime: "crio" }],
    ["kubepods cgroupfs", `5:memory:/kubepods/besteffort/pod7f2a/${ID}\n`, { id: ID, runtime: "kubernetes" }],
    ["host process", "0::/user.slice/user-0.slice/session-1.scope\n9:name=systemd:/\n", null],
  ];
  for (const [what, text, want] of cases) {
    it(what, () => {
      expect(containerFromCgroup(text)).toEqual(want);
    });
  }

  it("a pid that does not exist maps to null", async () => {
    expect(await readProcCgroup(2 ** 30)).toBeNull();
    expect(await containersOfPids([process.pid, 2 ** 30])).toEqual(
      new Map([
        [process.pid, null],
        [2 ** 30, null],
      ]),
    );
  });
});

const avail = await podmanAvailability();
if (!avail.ok && process.env.CI) throw new Error(`Podman is required in CI: ${avail.reason}`);

describe.skipIf(!avail.ok)("a real Podman container's process maps back to its container id", () => {
  it("reads /proc/PID/cgroup of the container's init process", async () => {
    const run = await runCommand(
      "podman",
      ["run", "-d", "--rm", "--network", "none", PODMAN_IMAGE, "sleep", "60"],
      {
        timeoutMs: 60_000,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    try {
      const pid = Number(
        (await runCommand("podman", ["inspect", "--format", "{{.State.Pid}}", id])).stdout.trim(),
      );
      expect(pid).toBeGreaterThan(0);
      const owners = await containersOfPids([pid]);
      expect(owners.get(pid)).toBe(id);
    } finally {
      await runCommand("podman", ["rm", "-f", "-t", "0", id], { timeoutMs: 60_000 });
    }
  });
});
