import { type ServiceView, serviceResponse, servicesResponse } from "../../api/schemas.js";
import { GpupoolError } from "../../core/errors.js";
import { type CommonFlags, client, type Io, stdio } from "./common.js";
import { age, type Column } from "./output.js";
import { type ListFlags, listWorkloads, printWorkload } from "./workload-lists.js";

/** Services from the CLI: `services`, `scale`, and what get/stop/rm/apply do when a reference names one. */

export const SERVICE_COLUMNS: readonly Column<ServiceView>[] = [
  { header: "ID", cell: (s) => s.id },
  { header: "NAME", cell: (s) => s.name },
  { header: "TENANT", cell: (s) => s.tenant, wide: true },
  { header: "STATE", cell: (s) => s.state },
  { header: "READY", cell: (s) => `${s.ready}/${s.desired}` },
  { header: "LIVE", cell: (s) => String(s.live), wide: true },
  { header: "UP-TO-DATE", cell: (s) => String(s.updated) },
  { header: "RANGE", cell: (s) => (s.autoscale ? `${s.minReplicas}-${s.maxReplicas}` : ""), wide: true },
  { header: "ENDPOINT", cell: (s) => s.endpoint ?? "" },
  {
    header: "METRIC",
    cell: (s) =>
      s.autoscale
        ? `${s.autoscale.metric} ${s.autoscale.value ?? "-"}/${s.autoscale.targetPerReplica} per replica`
        : "",
  },
  { header: "AGE", cell: (s) => age(s.createdAt) },
  { header: "REASON", cell: (s) => s.reason ?? "" },
];

/** `services`: your services (running ones; -a all), with their replica counts. */
export function servicesCommand(f: ListFlags, io: Io = stdio): Promise<number> {
  return listWorkloads(f, io, "/v1/services", servicesResponse, "services", SERVICE_COLUMNS);
}

/** `get SERVICE`: the service as YAML by default; -o table: one row. */
export function printService(service: ServiceView, f: CommonFlags, io: Io): number {
  return printWorkload("service", service, SERVICE_COLUMNS, f, io);
}

/** `scale SERVICE N`: the replicas it wants now. */
export async function scaleCommand(
  ref: string,
  count: string,
  f: CommonFlags,
  io: Io = stdio,
): Promise<number> {
  if (!/^\d+$/.test(count))
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `replicas: "${count}" is not a whole number (e.g. gpupool scale web 3)`,
    );
  const { service } = await client(f).json(
    serviceResponse,
    "POST",
    `/v1/services/${encodeURIComponent(ref)}/scale`,
    { replicas: Number(count) },
  );
  io.out(`${service.name} scaled to ${service.desired} (${service.ready} ready now)\n`);
  return 0;
}
