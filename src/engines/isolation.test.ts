import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  configuredRuntimes,
  DEFAULT_ISOLATION_RUNTIMES,
  isolationRuntimes,
  runtimeForIsolation,
} from "./isolation.js";

describe("runtimeForIsolation", () => {
  it("uses the engine default for containers and runsc for sandboxes", () => {
    expect(runtimeForIsolation("container")).toBeUndefined();
    expect(runtimeForIsolation("sandbox")).toBe("runsc");
    expect(runtimeForIsolation("sandbox", undefined, ["runc", "runsc"])).toBe("runsc");
  });

  it("refuses a level without a runtime, or one the engine does not offer", () => {
    expect(() => runtimeForIsolation("vm")).toThrow(
      expect.objectContaining({ code: "GP_RUNTIME_UNAVAILABLE" }),
    );
    expect(() => runtimeForIsolation("sandbox", undefined, ["runc"])).toThrow(
      expect.objectContaining({ code: "GP_RUNTIME_UNAVAILABLE" }),
    );
    const kata = { name: "kata", path: "/opt/kata/bin/kata-runtime" };
    expect(runtimeForIsolation("vm", { vm: kata }, ["runc", "kata"])).toBe("kata");
    expect(configuredRuntimes({ vm: kata }).map((r) => r.name)).toEqual(["kata"]);
  });
});

describe("isolationRuntimes (gpupool up --vm-runtime PATH)", () => {
  const dir = mkdtempSync(join(tmpdir(), "gp-vmrt-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const binary = (name: string) => {
    mkdirSync(join(dir, name.split("/")[0]!), { recursive: true });
    const path = join(dir, name);
    writeFileSync(path, "#!/bin/sh\n", { mode: 0o755 });
    return path;
  };

  it("without a path: the defaults, with no vm runtime", () => {
    expect(isolationRuntimes()).toBe(DEFAULT_ISOLATION_RUNTIMES);
    expect(isolationRuntimes().vm).toBeUndefined();
  });

  it("with one: vm is that binary, named by its file name, next to the sandbox's runsc", () => {
    const path = binary("kata/kata-runtime");
    const runtimes = isolationRuntimes(path);
    expect(runtimes.vm).toEqual({ name: "kata-runtime", path });
    expect(configuredRuntimes(runtimes).map((r) => r.name)).toEqual(["runsc", "kata-runtime"]);
    expect(runtimeForIsolation("vm", runtimes, ["runc", "runsc", "kata-runtime"])).toBe("kata-runtime");
  });

  const refused: [string, () => string, RegExp][] = [
    ["a relative path", () => "kata-runtime", /absolute path/],
    ["a missing file", () => join(dir, "nope/kata-runtime"), /no such file/],
    ["runc's name", () => binary("a/runc"), /runc is already the runtime of isolation container/],
    ["runsc's name", () => binary("b/runsc"), /runsc is already the runtime of isolation sandbox/],
  ];
  for (const [name, path, message] of refused)
    it(`refuses ${name} with GP_INVALID_ARGUMENT`, () => {
      expect(() => isolationRuntimes(path())).toThrow(
        expect.objectContaining({ code: "GP_INVALID_ARGUMENT", message: expect.stringMatching(message) }),
      );
    });
});
