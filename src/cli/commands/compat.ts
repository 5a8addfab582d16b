import type { Command } from "commander";
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
    .option("--json", 'print {"verdict","requiredDriver","explanation",…} on stdout')
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  gpupool compat --cuda 12.4 --driver 535.104.05 --json",
        "  gpupool compat --image localhost/app:latest --gpu H100-80GB",
      ].join("\n"),
    )
    .action(async (opts) => {
      const { runCompatCommand } = await import("../../node/compat-command.js");
      await runCompatCommand(opts);
    });
};
