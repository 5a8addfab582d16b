import { describe, expect, it } from "vitest";
import { configuredRuntimes, runtimeForIsolation } from "./isolation.js";

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
