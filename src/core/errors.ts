/**
 * The one table of gpupool's stable error codes, shared by the HTTP API and the CLI.
 * Each code has an HTTP status, a CLI exit code and a one-line hint on how to fix it;
 * docs/errors.md lists the same table (a test keeps the two in step).
 */
export interface ErrorSpec {
  readonly status: number;
  readonly exit: number;
  readonly hint: string;
}

// biome-ignore format: the table reads best one code per line
export const ERROR_CODES = {
  GP_INVALID_QUANTITY: { status: 400, exit: 2, hint: "Write quantities like 250m, 0.25, 2, 512Mi or 10Gi." },
  GP_INVALID_ARGUMENT: { status: 400, exit: 2, hint: "Check the flag or field named in the message; --help lists them." },
  GP_INVALID_SPEC: { status: 400, exit: 2, hint: "Fix the field at the path given in the message." },
  GP_UNKNOWN_GPU_MODEL: { status: 400, exit: 2, hint: "Use a model from `gpupool gpus --catalog`, e.g. A100-80GB or T4." },
  GP_UNKNOWN_MIG_PROFILE: { status: 400, exit: 2, hint: "Use a MIG profile the GPU model supports, e.g. 1g.10gb on an H100-80GB." },
  GP_UNKNOWN_POLICY: { status: 400, exit: 2, hint: "Pick a policy listed by `gpupool sim --help`." },
  GP_INVALID_PLUGIN_ARGS: { status: 400, exit: 2, hint: "Fix the plugin argument at the field path given." },
  GP_DUPLICATE_PLUGIN: { status: 500, exit: 70, hint: "Two plugins share one name in the registry; rename one." },
  GP_TRACE_NOT_FOUND: { status: 404, exit: 3, hint: "Pass the trace CSVs with --nodes/--pods or --trace-dir (see docs/scheduling.md)." },
  GP_TRACE_FORMAT: { status: 400, exit: 3, hint: "The CSV must have the Alibaba cluster-trace-gpu-v2023 columns." },
  GP_INVALID_CUDA_VERSION: { status: 400, exit: 2, hint: "Write CUDA versions as MAJOR.MINOR, e.g. 12.4." },
  GP_INVALID_DRIVER_VERSION: { status: 400, exit: 2, hint: "Write driver versions as nvidia-smi prints them, e.g. 535.104.05." },
  GP_NVIDIA_SMI_FAILED: { status: 503, exit: 4, hint: "Check that nvidia-smi runs on this host, or use --simulate." },
  GP_NVIDIA_SMI_TIMEOUT: { status: 503, exit: 4, hint: "nvidia-smi did not answer in time; check the driver (dmesg) or use --simulate." },
  GP_NVIDIA_SMI_PARSE: { status: 502, exit: 4, hint: "nvidia-smi printed something gpupool cannot read; please report it with the output." },
  GP_MIG_LAYOUT_INVALID: { status: 409, exit: 5, hint: "The requested MIG instances do not fit the GPU's slice geometry." },
  GP_MIG_GPU_BUSY: { status: 409, exit: 5, hint: "MIG layouts change only on idle GPUs; stop the processes on it first." },
  GP_IMAGE_NOT_FOUND: { status: 404, exit: 3, hint: "Pull or import the image into the local engine first." },
  GP_ENGINE_UNAVAILABLE: { status: 503, exit: 4, hint: "Start Podman or Docker (or install podman), or point DOCKER_HOST/CONTAINER_HOST at a socket." },
  GP_ENGINE_ERROR: { status: 502, exit: 4, hint: "The container engine refused the request; its message is included. Check the engine's log." },
  GP_ENGINE_UNSUPPORTED: { status: 400, exit: 2, hint: "This engine cannot do what was asked (e.g. CDI devices need Podman, DeviceRequests need Docker)." },
  GP_RUNTIME_UNAVAILABLE: { status: 400, exit: 2, hint: "Configure the OCI runtime for the engine (sandbox: runsc; vm: gpupool up --vm-runtime PATH), or pick another isolation." },
  GP_CONTAINER_NOT_FOUND: { status: 404, exit: 3, hint: "The container is gone (removed, or never created); list containers to see what exists." },
  GP_CONTAINER_EXISTS: { status: 409, exit: 5, hint: "A container with that name already exists; remove it or adopt it." },
  GP_STORE_SCHEMA: { status: 500, exit: 70, hint: "The data directory was written by a newer gpupool; upgrade gpupool or use another --data." },
  GP_KUBE_UNREACHABLE: { status: 503, exit: 4, hint: "Check --kubeconfig (or KUBECONFIG / in-cluster config) and that the API server answers: kubectl version." },
  GP_LISTEN_FAILED: { status: 503, exit: 4, hint: "gpupool up cannot listen there; stop what uses the port or pick another with --listen HOST:PORT." },
  GP_DATA_DIR_UNUSABLE: { status: 503, exit: 4, hint: "gpupool up cannot create or write its data directory; fix its permissions or pass --data DIR." },
  GP_STORE_BUSY: { status: 503, exit: 4, hint: "Another process holds the store's write lock; stop the other gpupool using this --data." },
  GP_STORE_MISSING: { status: 503, exit: 4, hint: "This data directory had a store that is now missing, empty or replaced; put the file back, restore a backup (`gpupool restore FILE --data NEWDIR`), or pass a new --data to start afresh." },
  GP_STORE_FULL: { status: 507, exit: 4, hint: "The data directory's disk is full: nothing was changed. Free space there (or delete finished jobs: gpupool rm), then retry; reads keep working." },
  GP_STORE_CORRUPT: { status: 503, exit: 4, hint: "The store fails SQLite's integrity check; restore a backup into a new data directory (`gpupool restore FILE --data NEWDIR`) and start there (see docs/store.md, Backup)." },
  GP_ILLEGAL_TRANSITION: { status: 409, exit: 5, hint: "The job is not in a state that allows this; fetch it to see its current state." },
  GP_JOB_NOT_FOUND: { status: 404, exit: 3, hint: "Check the job id (and that it belongs to your tenant)." },
  GP_ARRAY_NOT_FOUND: { status: 404, exit: 3, hint: "Check the array id or name (`gpupool arrays` lists yours)." },
  GP_SERVICE_NOT_FOUND: { status: 404, exit: 3, hint: "Check the service id or name (`gpupool services` lists yours)." },
  GP_PORT_IN_USE: { status: 409, exit: 5, hint: "Another running service has that endpoint port; pick another service.port, or stop that service." },
  GP_SERVICE_UNAVAILABLE: { status: 503, exit: 4, hint: "No replica of the service became ready in time; check `gpupool services` and the replicas' logs." },
  GP_TENANT_NOT_FOUND: { status: 404, exit: 3, hint: "Create the tenant first, or check its name." },
  GP_TENANT_EXISTS: { status: 409, exit: 5, hint: "Tenant names are unique; pick another name." },
  GP_TENANT_HAS_LIVE_JOBS: { status: 409, exit: 5, hint: "A tenant with live jobs cannot be deleted; stop them first (`gpupool ps -A` lists them). Its finished jobs go with it." },
  GP_IDEMPOTENCY_CONFLICT: { status: 409, exit: 5, hint: "That client request id was already used with a different spec; use a new request id." },
  GP_NAME_IN_USE: { status: 409, exit: 5, hint: "A live job of your tenant has that name; pick another --name, or stop that job first (a finished job frees its name)." },
  GP_AMBIGUOUS_JOB_REF: { status: 409, exit: 5, hint: "Several jobs match; the message lists them: give more of the id, the whole id, or the job's name." },
  GP_JOB_NOT_FINISHED: { status: 409, exit: 5, hint: "rm deletes finished jobs only; stop the job first, or force it (`gpupool rm -f`, DELETE ?force=true)." },
  GP_UNAUTHORIZED: { status: 401, exit: 6, hint: "Pass a valid API token (Authorization: Bearer gp_...)." },
  GP_MIG_DISABLED: { status: 409, exit: 5, hint: "Enable MIG mode first (nvidia-smi -i N -mig 1, then reset the GPU); it cannot change while the GPU is in use." },
  GP_MIG_UNSUPPORTED: { status: 409, exit: 5, hint: "gpupool up places MIG slices on simulated GPUs only (--simulate 1xA100-80GB:mig); on real GPUs ask for a share (gpu: 0.25 with gpuMemory) or whole GPUs." },
  GP_MIG_APPLY_FAILED: { status: 502, exit: 4, hint: "nvidia-smi mig refused the layout; its message is included. Check `nvidia-smi mig -lgi` and dmesg." },
  GP_MPS_FAILED: { status: 502, exit: 4, hint: "The MPS control daemon did not do what was asked; check its log directory and that nvidia-cuda-mps-control is installed." },
  GP_UNKNOWN_PRIORITY_CLASS: { status: 400, exit: 2, hint: "Use a priority class (system-critical, high, normal, low, best-effort) or an integer." },
  GP_NOT_FOUND: { status: 404, exit: 3, hint: "No such API route; see the OpenAPI document at /openapi.json." },
  GP_FORBIDDEN: { status: 403, exit: 6, hint: "This needs the admin token (printed by the first `gpupool up`, or GPUPOOL_ADMIN_TOKEN)." },
  GP_PRIORITY_FORBIDDEN: { status: 403, exit: 6, hint: "The job's priority is above your tenant's ceiling (default normal); submit a lower one, or ask the admin to raise it (`gpupool tenants quota NAME --max-priority high`)." },
  GP_TOKEN_NOT_FOUND: { status: 404, exit: 3, hint: "No such token of that tenant; list them with `gpupool tokens list TENANT`." },
  GP_PAYLOAD_TOO_LARGE: { status: 413, exit: 2, hint: "The request body is too large; job specs must be under 1 MiB." },
  GP_UNSUPPORTED_MEDIA_TYPE: { status: 415, exit: 2, hint: "Send the body as JSON (Content-Type: application/json)." },
  GP_SERVER_UNREACHABLE: { status: 503, exit: 4, hint: "Start the server (`gpupool up`) or point --server / GPUPOOL_SERVER at it." },
  GP_SERVER_ERROR: { status: 502, exit: 4, hint: "The server answered something gpupool cannot read; check the server's log." },
  GP_NEVER_FITS: { status: 422, exit: 5, hint: "No node here could ever run the job as asked (the message names the limit); ask for less, or run it where the capacity is." },
  GP_QUOTA_EXCEEDED: { status: 429, exit: 5, hint: "The tenant has as many unfinished jobs as its quota allows; wait for some to finish, or ask the admin to raise it." },
  GP_INTERNAL: { status: 500, exit: 70, hint: "This is a bug in gpupool; please report it with the message." },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An expected, user-facing failure: a stable code plus a message that names the bad value. */
export class GpupoolError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "GpupoolError";
    this.code = code;
    this.details = details;
  }

  get statusCode(): number {
    return ERROR_CODES[this.code].status;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  get hint(): string {
    return ERROR_CODES[this.code].hint;
  }
}

export function isGpupoolError(err: unknown): err is GpupoolError {
  return err instanceof GpupoolError;
}
