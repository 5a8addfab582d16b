import { describe, expect, it } from "vitest";
import { GANG_PORT_BASE, GANG_PORT_SPAN, gangEnv, gangPort } from "./gang-env.js";

describe("gang environment", () => {
  it("gives every member the same world and rendezvous, and its own rank", () => {
    const a = gangEnv({ rank: 0, worldSize: 2, masterAddr: "127.0.0.1", masterPort: 29_611, gangId: "g" });
    const b = gangEnv({ rank: 1, worldSize: 2, masterAddr: "127.0.0.1", masterPort: 29_611, gangId: "g" });
    expect([a.RANK, b.RANK, a.LOCAL_RANK, b.LOCAL_RANK]).toEqual(["0", "1", "0", "1"]);
    for (const k of ["WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "GPUPOOL_GANG_ID", "NCCL_SOCKET_IFNAME"])
      expect(a[k]).toBe(b[k]);
  });

  it("derives a stable port per gang inside the gang range, spread across gangs", () => {
    const ports = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const p = gangPort(`gang-${i}`);
      expect(p).toBeGreaterThanOrEqual(GANG_PORT_BASE);
      expect(p).toBeLessThan(GANG_PORT_BASE + GANG_PORT_SPAN);
      expect(gangPort(`gang-${i}`)).toBe(p);
      ports.add(p);
    }
    expect(ports.size).toBeGreaterThan(180);
  });
});
