import type { z } from "zod";
import { GpupoolError } from "../../core/errors.js";
import type { Handle, Plugin } from "./interfaces.js";

/** A plugin's registration: how to validate its args and how to build it. */
export interface PluginRegistration<S extends z.ZodType = z.ZodType> {
  readonly args: S;
  readonly factory: (args: z.infer<S>, handle: Handle) => Plugin;
}

export function registration<S extends z.ZodType>(
  args: S,
  factory: (args: z.infer<S>, handle: Handle) => Plugin,
): PluginRegistration<S> {
  return { args, factory };
}

/** name → registration. Passed to the framework, never global; a duplicate name is an error. */
export class Registry {
  private readonly entries = new Map<string, PluginRegistration>();

  constructor(entries: Record<string, PluginRegistration> = {}) {
    for (const [name, reg] of Object.entries(entries)) this.register(name, reg);
  }

  register(name: string, reg: PluginRegistration): this {
    if (this.entries.has(name)) {
      throw new GpupoolError("GP_DUPLICATE_PLUGIN", `a plugin named "${name}" is already registered`, {
        plugin: name,
      });
    }
    this.entries.set(name, reg);
    return this;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Validates `rawArgs` against the plugin's schema; errors name the field path. */
  build(name: string, rawArgs: unknown, handle: Handle): Plugin {
    const reg = this.entries.get(name);
    if (!reg) {
      throw new GpupoolError(
        "GP_INVALID_PLUGIN_ARGS",
        `unknown plugin "${name}"; registered: ${this.names().join(", ")}`,
        { plugin: name },
      );
    }
    const parsed = reg.args.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = ["pluginArgs", name, ...issue.path.map(String)].join(".");
      throw new GpupoolError("GP_INVALID_PLUGIN_ARGS", `${path}: ${issue.message}`, { plugin: name, path });
    }
    return reg.factory(parsed.data, handle);
  }
}
