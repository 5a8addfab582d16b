import type { TenantView } from "../../api/schemas.js";

/**
 * Human units for the CLI's tables (never for -o json/yaml, which keep the API's raw units):
 * memory in GiB (MiB below 1 GiB), GPU shares in %, GPUs and CPUs as `1 GPU` / `500m CPU`, times
 * in the local time zone.
 */

/** Up to two decimals, without trailing zeros: 1.5, 0.25, 60. */
function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** MiB → "80 GiB", "1.5 GiB", "512 MiB". */
export function memory(mib: number): string {
  return mib >= 1024 ? `${num(mib / 1024)} GiB` : `${mib} MiB`;
}

/** Used of total MiB → "20/80 GiB" (MiB when the total is under 1 GiB). */
export function memoryOf(usedMiB: number, totalMiB: number): string {
  return totalMiB >= 1024
    ? `${num(usedMiB / 1024)}/${num(totalMiB / 1024)} GiB`
    : `${usedMiB}/${totalMiB} MiB`;
}

/** GPU milli of one GPU → "25%". */
export function percent(milli: number): string {
  return `${num(milli / 10)}%`;
}

/** GPU milli → "1 GPU", "0.5 GPU", "2 GPUs". */
export function gpus(milli: number): string {
  const n = milli / 1000;
  return `${num(n)} ${n > 1 ? "GPUs" : "GPU"}`;
}

/** CPU milli → "2 CPU", "500m CPU", "1500m CPU" (kubectl's quantities). */
export function cpus(milli: number): string {
  return milli % 1000 === 0 ? `${milli / 1000} CPU` : `${milli}m CPU`;
}

/** CPU milli used of total → "0.5/16". */
export function cpusOf(usedMilli: number, totalMilli: number): string {
  return `${num(usedMilli / 1000)}/${num(totalMilli / 1000)}`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** An ISO time (or epoch milliseconds) in the local time zone: "2026-12-02 15:04:05"; null → "-". */
export function localTime(at: string | number | null): string {
  if (at === null) return "-";
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

type Quotas = TenantView["quotas"];
type QuotaResources = NonNullable<Quotas["guarantee"]>;

/** The resources of a limit or guarantee → "1 GPU, 40 GiB GPU memory, 500m CPU, 8 GiB memory"; none → "-". */
export function resources(r: QuotaResources | undefined): string {
  if (!r) return "-";
  const parts = [
    r.gpuMilli !== undefined ? gpus(r.gpuMilli) : undefined,
    r.gpuMemoryMiB !== undefined ? `${memory(r.gpuMemoryMiB)} GPU memory` : undefined,
    r.cpuMilli !== undefined ? cpus(r.cpuMilli) : undefined,
    r.memoryMiB !== undefined ? `${memory(r.memoryMiB)} memory` : undefined,
  ].filter((p) => p !== undefined);
  return parts.length > 0 ? parts.join(", ") : "-";
}

/** A tenant's quotas in words: "limit 1 GPU, 8 GiB memory; guarantee 0.5 GPU; 10 active jobs; 3600 GPU-seconds". */
export function quotas(q: Quotas): string {
  const parts = [
    resources(q) !== "-" ? `limit ${resources(q)}` : undefined,
    q.guarantee && resources(q.guarantee) !== "-" ? `guarantee ${resources(q.guarantee)}` : undefined,
    q.activeJobs !== undefined ? `${q.activeJobs} active jobs` : undefined,
    q.gpuSeconds !== undefined ? `${num(q.gpuSeconds)} GPU-seconds` : undefined,
    q.weight !== undefined ? `weight ${q.weight}` : undefined,
    q.maxPriority !== undefined ? `max priority ${q.maxPriority}` : undefined,
  ].filter((p) => p !== undefined);
  return parts.length > 0 ? parts.join("; ") : "none";
}
