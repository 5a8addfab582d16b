import { infoSchema } from "../../api/schemas.js";
import { GpupoolError } from "../../core/errors.js";
import { configPath, DEFAULT_SERVER, writeClientConfig } from "./config.js";
import { ApiClient } from "./http.js";
import { type Io, stdio } from "./jobs.js";

export interface LoginFlags {
  readonly server?: string;
  readonly token?: string;
  readonly config?: string;
}

/**
 * `login --server URL --token TOKEN`: checks the token against the server (GET /v1/info), then
 * writes both into the config file every other command reads (0600). Nothing is written when the
 * server is unreachable or refuses the token.
 */
export async function loginCommand(f: LoginFlags, io: Io = stdio, env = process.env): Promise<number> {
  const server = (f.server ?? env.GPUPOOL_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s/]+/.test(server))
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--server must be a URL like ${DEFAULT_SERVER}, got "${server}"`,
    );
  const token = f.token ?? env.GPUPOOL_TOKEN;
  if (!token) throw new GpupoolError("GP_INVALID_ARGUMENT", "login needs --token TOKEN (or GPUPOOL_TOKEN)");
  const info = await new ApiClient({ server, token }).json(infoSchema, "GET", "/v1/info");
  const path = f.config ?? configPath(env);
  writeClientConfig(path, { server, token });
  io.out(`logged in to ${server} as tenant ${info.tenant}; wrote ${path}\n`);
  return 0;
}
