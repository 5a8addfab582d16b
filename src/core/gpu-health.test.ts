import { describe, expect, it } from "vitest";
import { afterXid, normalizePciBusId, parseXid, settle } from "./gpu-health.js";

describe("XIDs in the kernel log", () => {
  it("reads the driver's XID lines, as dmesg and kern.log print them", () => {
    expect(
      parseXid(
        "[ 1234.567890] NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python, GPU has fallen off the bus.",
      ),
    ).toEqual({
      pciBusId: "0000:3b:00",
      xid: 79,
      detail: "pid=1234, name=python, GPU has fallen off the bus.",
    });
    expect(
      parseXid(
        "Dec  4 01:02:03 host kernel: NVRM: Xid (PCI:0000:B1:00.0): 31, pid=99, Ch 00000008, MMU Fault",
      ),
    ).toMatchObject({ pciBusId: "0000:b1:00", xid: 31 });
    expect(parseXid("NVRM: loading NVIDIA UNIX x86_64 Kernel Module  550.54.15")).toBeUndefined();
    expect(parseXid("")).toBeUndefined();
  });

  it("names a GPU by one PCI address whether nvidia-smi or the kernel writes it", () => {
    expect(normalizePciBusId("00000000:3B:00.0")).toBe("0000:3b:00");
    expect(normalizePciBusId("0000:3b:00")).toBe("0000:3b:00");
  });

  it("a fatal XID makes the GPU unhealthy until recoverMs pass without another; an application's XID does not", () => {
    const x79 = parseXid("NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus.")!;
    const x13 = parseXid("NVRM: Xid (PCI:0000:3b:00): 13, Graphics Exception")!;
    expect(afterXid({}, x13, 0)).toEqual({});
    const bad = afterXid({}, x79, 1000);
    expect(bad).toEqual({
      unhealthySince: 1000,
      reason: "XID 79: GPU has fallen off the bus.",
      lastFatalAt: 1000,
    });
    const again = afterXid(bad, x79, 5000);
    expect(again.unhealthySince).toBe(1000);
    expect(settle(again, 5000 + 59_999, 60_000)).toBe(again);
    expect(settle(again, 5000 + 60_000, 60_000)).toEqual({});
  });
});
