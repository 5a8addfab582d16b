/**
 * GPU health from the kernel's NVIDIA driver messages (pure). The driver logs each GPU error as an
 * XID, e.g. `NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python, GPU has fallen off the bus.`
 * Some XIDs are the application's own fault (13 graphics engine exception, 31 memory page fault,
 * 43 a channel stopped); others say the GPU itself cannot be trusted with new work. Which is which
 * follows NVIDIA's XID catalogue (docs.nvidia.com/deploy/xid-errors): the ones listed in FATAL_XIDS
 * are the catalogue's "reset the GPU / contact support" ones (ECC double-bit and uncontained errors,
 * row-remapping failure, NVLink errors, fallen off the bus, GSP and firmware errors).
 */

export interface Xid {
  /** The PCI address as normalize() writes it: "0000:3b:00". */
  readonly pciBusId: string;
  readonly xid: number;
  /** The rest of the message. */
  readonly detail: string;
}

/** XIDs after which a GPU takes no new work. */
export const FATAL_XIDS: ReadonlySet<number> = new Set([
  48, // double-bit ECC error
  61, // internal micro-controller breakpoint/warning
  62, // internal micro-controller halt
  63, // ECC page retirement or row remapping recording failure
  64, // ECC page retirement or row remapping failure
  74, // NVLink error
  79, // GPU has fallen off the bus
  92, // high single-bit ECC error rate
  94, // contained ECC error
  95, // uncontained ECC error
  119, // GSP RPC timeout
  120, // GSP error
  140, // unrecovered ECC error
]);

const XID_LINE =
  /NVRM: Xid \(PCI:([0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2})(?:\.[0-9a-fA-F])?\): (\d+),\s*(.*)$/;

/** The XID a kernel log line reports, if it reports one. */
export function parseXid(line: string): Xid | undefined {
  const m = XID_LINE.exec(line);
  if (!m) return undefined;
  return { pciBusId: normalizePciBusId(m[1]!), xid: Number(m[2]), detail: m[3]!.trim() };
}

/**
 * A PCI address in the kernel's short form, lowercase, without the function: nvidia-smi's
 * "00000000:3B:00.0" and the kernel's "0000:3b:00" both become "0000:3b:00".
 */
export function normalizePciBusId(id: string): string {
  const [domain = "0", bus = "0", rest = "0"] = id.trim().toLowerCase().split(":");
  const device = rest.split(".")[0]!;
  return `${domain.slice(-4).padStart(4, "0")}:${bus.padStart(2, "0")}:${device.padStart(2, "0")}`;
}

export function isFatalXid(xid: number): boolean {
  return FATAL_XIDS.has(xid);
}

/** What one GPU's health is: since when it is unhealthy and why (absent: healthy). */
export interface GpuHealthState {
  readonly unhealthySince?: number;
  readonly reason?: string;
  /** The last fatal XID's time: the GPU is healthy again `recoverMs` after it. */
  readonly lastFatalAt?: number;
}

/** A GPU's state after an XID at `at`. */
export function afterXid(state: GpuHealthState, x: Xid, at: number): GpuHealthState {
  if (!isFatalXid(x.xid)) return state;
  const reason = `XID ${x.xid}: ${x.detail || "GPU error"}`;
  return { unhealthySince: state.unhealthySince ?? at, reason, lastFatalAt: at };
}

/** The state at `now`: healthy again once `recoverMs` passed with no fatal XID. */
export function settle(state: GpuHealthState, now: number, recoverMs: number): GpuHealthState {
  if (state.lastFatalAt !== undefined && now - state.lastFatalAt >= recoverMs) return {};
  return state;
}
