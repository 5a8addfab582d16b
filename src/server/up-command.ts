import { GpupoolError } from "../core/errors.js";
import { startServer } from "./up.js";

/** `gpupool up` in the foreground: start, print how to reach it, stop cleanly on SIGINT/SIGTERM. */
/** The flags of `gpupool up`, as commander parses them (src/cli/commands/up.ts). */
export interface UpCliOptions {
  simulate?: string;
  engine: string;
  data?: string;
  listen: string;
  cdiDir: string;
  log?: boolean;
}

export async function runUp(opts: UpCliOptions): Promise<void> {
  const engines = ["auto", "podman", "docker", "fake"] as const;
  const engine = engines.find((e) => e === opts.engine);
  if (!engine)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--engine must be one of ${engines.join(", ")}, got "${opts.engine}"`,
    );
  const server = await startServer({
    ...(opts.simulate ? { simulate: opts.simulate } : {}),
    engine,
    ...(opts.data ? { data: opts.data } : {}),
    listen: opts.listen,
    cdiDir: opts.cdiDir,
    ...(process.env.GPUPOOL_ADMIN_TOKEN ? { adminToken: process.env.GPUPOOL_ADMIN_TOKEN } : {}),
    logger: opts.log ? { level: "info" } : false,
    out: (line) => process.stdout.write(`${line}\n`),
  });
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      process.stdout.write(`gpupool: ${sig}, stopping (job containers keep running)\n`);
      resolve();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await server.close();
}
