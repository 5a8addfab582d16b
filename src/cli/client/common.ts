import { type ClientFlags, resolveClientConfig } from "./config.js";
import { ApiClient } from "./http.js";
import type { Io } from "./wait.js";

/** What every client command shares: where it writes, its common flags, its API client. */

export type { Io } from "./wait.js";

export const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export interface CommonFlags extends ClientFlags {
  readonly output?: string;
}

export function client(flags: ClientFlags): ApiClient {
  return new ApiClient(resolveClientConfig(flags));
}
