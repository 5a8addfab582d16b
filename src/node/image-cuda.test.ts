import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { imageCudaRequirement, inspectImageEnv, judgeImageCuda, parseRequireCuda } from "./image-cuda.js";
import { runCommand } from "./run-command.js";
import { PODMAN_IMAGE, podmanAvailability } from "./test-support/podman.js";

/** NVIDIA_REQUIRE_CUDA as the nvidia/cuda 12.4.1 images set it (abridged to three branches). */
const REQ_124 =
  "cuda>=12.4 brand=tesla,driver>=470,driver<471 brand=tesla,driver>=525,driver<526 brand=tesla,driver>=535,driver<536";

describe("reading an image's CUDA requirement", () => {
  it("parses alternatives (space = OR) of constraints (comma = AND)", () => {
    expect(parseRequireCuda("cuda>=12.4 brand=tesla,driver>=470,driver<471")).toEqual([
      [{ key: "cuda", op: ">=", value: "12.4" }],
      [
        { key: "brand", op: "=", value: "tesla" },
        { key: "driver", op: ">=", value: "470" },
        { key: "driver", op: "<", value: "471" },
      ],
    ]);
    expect(() => parseRequireCuda("cuda~12")).toThrow(/cannot read constraint/);
  });

  it.each([
    [["CUDA_VERSION=12.4.1"], "12.4.1", false, false],
    [[`NVIDIA_REQUIRE_CUDA=${REQ_124}`], "12.4", true, false],
    [["CUDA_VERSION=11.8.0", "NVIDIA_DISABLE_REQUIRE=1"], "11.8.0", false, true],
    [["PATH=/bin"], null, false, false],
  ])("%j → version %j, cuda-compat %j, disabled %j", (env, version, fc, disabled) => {
    const r = imageCudaRequirement(env);
    expect([r.cudaVersion, r.forwardCompat, r.disableRequire]).toEqual([version, fc, disabled]);
  });
});

describe("judgeImageCuda", () => {
  const req = imageCudaRequirement(["CUDA_VERSION=12.4.1", `NVIDIA_REQUIRE_CUDA=${REQ_124}`]);

  it("12.4 image on 550.54.14: compatible through cuda>=12.4", () => {
    expect(judgeImageCuda(req, { driver: "550.54.14" })).toMatchObject({ verdict: "compatible", fits: true });
  });

  it("12.4 image on a 535 Tesla: minor-version compatible (the 535 branch alternative holds)", () => {
    expect(judgeImageCuda(req, { driver: "535.104.05", brand: "tesla", datacenter: true })).toMatchObject({
      verdict: "minor-version-compatible",
      requiredDriver: "550.54.14",
      fits: true,
    });
  });

  it("12.4 image on a 535 GeForce: nvidia-container-cli would refuse (no alternative holds)", () => {
    const r = judgeImageCuda(req, { driver: "535.104.05", brand: "geforce" });
    expect(r.verdict).toBe("incompatible");
    expect(r.explanation).toMatch(/nvidia-container-cli would refuse/);
  });

  it("12.4 image with cuda-compat on a 470 datacenter GPU: forward-compat", () => {
    expect(judgeImageCuda(req, { driver: "470.42.01", brand: "tesla", datacenter: true }).verdict).toBe(
      "forward-compat",
    );
  });

  it("NVIDIA_DISABLE_REQUIRE=1 bypasses with a warning", () => {
    const r = judgeImageCuda(imageCudaRequirement(["CUDA_VERSION=12.4", "NVIDIA_DISABLE_REQUIRE=1"]), {
      driver: "470.42.01",
    });
    expect(r).toMatchObject({ verdict: "incompatible", bypassed: true, fits: true });
    expect(r.warnings.join(" ")).toMatch(/NVIDIA_DISABLE_REQUIRE=1: the CUDA requirement check is bypassed/);
  });

  it("an image without a requirement is compatible", () => {
    expect(judgeImageCuda(imageCudaRequirement(["PATH=/bin"]), { driver: "418.43" })).toMatchObject({
      verdict: "compatible",
      requiredDriver: null,
    });
  });
});

const avail = await podmanAvailability();
if (!avail.ok && process.env.CI) throw new Error(`Podman is required in CI: ${avail.reason}`);

describe.skipIf(!avail.ok)("inspectImageEnv on a real local image", () => {
  it("reads CUDA_VERSION and NVIDIA_REQUIRE_CUDA from an image committed with ENV changes", async () => {
    const tag = `localhost/gpupool-cuda-test:${randomBytes(4).toString("hex")}`;
    const name = `gpupool-cuda-test-${randomBytes(4).toString("hex")}`;
    const create = await runCommand("podman", ["create", "--name", name, PODMAN_IMAGE, "true"], {
      timeoutMs: 60_000,
    });
    expect(create.code, create.stderr).toBe(0);
    try {
      const commit = await runCommand(
        "podman",
        [
          "commit",
          "-q",
          "--change",
          "ENV CUDA_VERSION=12.4.1",
          "--change",
          `ENV NVIDIA_REQUIRE_CUDA="${REQ_124}"`,
          name,
          tag,
        ],
        { timeoutMs: 60_000 },
      );
      expect(commit.code, commit.stderr).toBe(0);
      const env = await inspectImageEnv(tag, ["podman"]);
      const req = imageCudaRequirement(env);
      expect(req.cudaVersion).toBe("12.4.1");
      expect(req.alternatives).toHaveLength(4);
      expect(judgeImageCuda(req, { driver: "535.104.05", brand: "tesla" }).verdict).toBe(
        "minor-version-compatible",
      );
    } finally {
      await runCommand("podman", ["rm", "-f", name], { timeoutMs: 60_000 });
      await runCommand("podman", ["rmi", "-f", tag], { timeoutMs: 60_000 });
    }
  });

  it("a missing image → GP_IMAGE_NOT_FOUND", async () => {
    await expect(inspectImageEnv("localhost/no-such-image-gpupool:none", ["podman"])).rejects.toMatchObject({
      code: "GP_IMAGE_NOT_FOUND",
    });
  });

  it("no engine at all → GP_ENGINE_UNAVAILABLE", async () => {
    await expect(inspectImageEnv(PODMAN_IMAGE, ["/nonexistent/podman"])).rejects.toMatchObject({
      code: "GP_ENGINE_UNAVAILABLE",
    });
  });
});
