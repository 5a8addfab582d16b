import type { Command } from "commander";
import { exitWith, withClientFlags } from "./client-flags.js";
import type { RegisterCommand } from "./register.js";

/** tokens: an admin's view of a tenant's API tokens (issue one: `gpupool tenants token NAME`). */
export const registerTokens: RegisterCommand = (program: Command) => {
  withClientFlags(
    program
      .command("tokens")
      .summary("admin: list, revoke or rotate a tenant's API tokens")
      .description(
        [
          "Lists a tenant's API tokens (id, name, prefix, when made, last used and revoked; never the tokens",
          "themselves), revokes one (its next request gets 401 GP_UNAUTHORIZED), or rotates one: a new token",
          "of the same name, printed once, and the old one revoked at once. TOKEN is the token's id, or the",
          "start of its id or of the token itself (gp_…) when that names one valid token.",
          "Issue another token with `gpupool tenants token NAME`.",
        ].join("\n"),
      )
      .argument("[action]", "list (default), revoke or rotate")
      .argument("[tenant]", "tenant name")
      .argument("[token]", "revoke, rotate: the token's id or prefix")
      .addHelpText(
        "after",
        "\nExamples:\n  gpupool tokens list team-a\n  gpupool tokens revoke team-a gp_3kZ9xQ\n  gpupool tokens rotate team-a 5f0c2a",
      ),
  ).action(async (action: string | undefined, tenant: string | undefined, token: string | undefined, opts) =>
    exitWith(await (await import("../client/tokens.js")).tokensCommand(action, tenant, token, opts)),
  );
};
