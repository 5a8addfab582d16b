import type { Command } from "commander";
import { exitWith, OUTPUT_FLAG, OUTPUT_HELP } from "./client-flags.js";
import type { RegisterCommand } from "./register.js";

export const registerCompat: RegisterCommand = (program: Command) => {
  program
    .command("compat")
    .summary("judge a CUDA toolkit (or an image's CUDA requirement) against an NVIDIA driver")
    .description(
      [
        "Says whether a CUDA toolkit runs on a driver: compatible, minor-version-compatible (runs; PTX JIT and",
        "features that need the newer driver may fail), forward-compat (needs cuda-compat in the image and a",
        "datacenter GPU) or incompatible, with the driver that would fix it. --image reads CUDA_VERSION and",
        "NVIDIA_REQUIRE_CUDA from a local image (podman, else docker). Without --driver, nvidia-smi is asked.",
      ].join("\n"),
    )
    .option("--cuda <version>", "toolkit version, e.g. 12.4")
    .option("--image <ref>", "read the requirement from this local image")
    .option("--driver <version>", "driver version, e.g. 535.104.05 (default: this host's)")
    .option("--gpu <model>", "GPU model (catalog name): decides whether it is a datacenter part")
    .option("--datacenter", "the GPU is a datacenter part (forward compatibility possible)")
    .option("--forward-compat", "the image ships the cuda-compat package")
    .option(
      "--brand <brand>",
      "GPU brand for NVIDIA_REQUIRE_CUDA brand= constraints (tesla, nvidia, geforce, …)",
    )
    .option("--engine <name>", "engine CLI to inspect --image with (podman or docker)")
    .option("--json", 'the same as -o json: {"verdict","requiredDriver","explanation",…}')
    .option(OUTPUT_FLAG, OUTPUT_HELP)
    .addHelpText(
      "after",
      [
        "",
        "Exit status: 0 when the toolkit can run (compatible, minor-version-compatible, forward-compat), 1 when",
        "the verdict is incompatible, 2 for bad input (error[CODE] line).",
        "",
        "Examples:",
        "  gpupool compat --cuda 12.4 --driver 535.104.05",
        "  gpupool compat --cuda 12.4 --driver 535.104.05 -o json",
        "  gpupool compat --image localhost/app:latest --gpu H100-80GB",
      ].join("\n"),
    )
    .action(async (opts) => exitWith(await (await import("../client/compat.js")).compatCommand(opts)));
};
