import { z } from "zod";
import { GpupoolError } from "../../core/errors.js";

/**
 * A profile chooses which plugins serve which extension point, with their args. Validated once,
 * then frozen. One plugin instance serves every point it is named at.
 */
export const ProfileSchema = z
  .object({
    name: z.string().min(1),
    preFilter: z.array(z.string()).default([]),
    filter: z.array(z.string()).default([]),
    score: z
      .array(z.object({ name: z.string(), weight: z.number().int().positive().default(1) }))
      .default([]),
    /** Among nodes with the equal highest total score, these decide (lexicographically); then node order. */
    tieBreak: z.array(z.string()).default([]),
    devices: z.string(),
    reserve: z.array(z.string()).default([]),
    permit: z.array(z.string()).default([]),
    pluginArgs: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type Profile = Readonly<z.infer<typeof ProfileSchema>>;
export type ProfileInput = z.input<typeof ProfileSchema>;

export function parseProfile(input: unknown): Profile {
  const parsed = ProfileSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = ["profile", ...issue.path.map(String)].join(".");
    throw new GpupoolError("GP_INVALID_SPEC", `${path}: ${issue.message}`, { path });
  }
  return Object.freeze(parsed.data);
}
