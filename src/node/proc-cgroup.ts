import { readFile } from "node:fs/promises";

/**
 * Maps a process to the container it runs in, from /proc/PID/cgroup. Recognises the cgroup paths of
 * Podman (`libpod-<id>` under libpod_parent or machine.slice), Docker (`/docker/<id>`, `docker-<id>.scope`),
 * containerd/CRI-O under kubepods (`cri-containerd-<id>.scope`, `crio-<id>.scope`, `/kubepods/…/<id>`).
 * Container ids are the engine's full 64-hex id.
 */

export interface CgroupContainer {
  readonly id: string;
  readonly runtime: "podman" | "docker" | "containerd" | "crio" | "kubernetes" | "unknown";
}

const PATTERNS: [RegExp, CgroupContainer["runtime"]][] = [
  [/libpod-(?:conmon-)?([0-9a-f]{64})/, "podman"],
  [/docker[-/]([0-9a-f]{64})/, "docker"],
  [/cri-containerd-([0-9a-f]{64})/, "containerd"],
  [/crio-([0-9a-f]{64})/, "crio"],
  [/kubepods.*\/([0-9a-f]{64})(?:\/|$)/, "kubernetes"],
];

/** The container of a /proc/PID/cgroup text, or null for a process on the host. */
export function containerFromCgroup(text: string): CgroupContainer | null {
  for (const line of text.split("\n")) {
    // hierarchy-ID:controllers:path (cgroup v1 and v2 alike)
    const path = line.split(":").slice(2).join(":");
    if (!path) continue;
    for (const [re, runtime] of PATTERNS) {
      const m = re.exec(path);
      if (m) return { id: m[1]!, runtime };
    }
  }
  return null;
}

/** Reads /proc/PID/cgroup; null when the process is gone or unreadable. */
export async function readProcCgroup(pid: number, procRoot = "/proc"): Promise<string | null> {
  try {
    return await readFile(`${procRoot}/${pid}/cgroup`, "utf8");
  } catch {
    return null;
  }
}

/** pid → container id (null: host process or gone), for a batch of pids. */
export async function containersOfPids(
  pids: readonly number[],
  read: (pid: number) => Promise<string | null> = readProcCgroup,
): Promise<Map<number, string | null>> {
  const out = new Map<number, string | null>();
  await Promise.all(
    pids.map(async (pid) => {
      const text = await read(pid);
      out.set(pid, text === null ? null : (containerFromCgroup(text)?.id ?? null));
    }),
  );
  return out;
}
