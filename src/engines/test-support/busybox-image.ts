import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, copyFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import type { ContainerEngine } from "../engine.js";

export const BUSYBOX_REF = "localhost/busybox:latest";
/** Where Debian's busybox-static puts its binary. */
export const BUSYBOX_BINARY = "/bin/busybox";

/**
 * Makes `localhost/busybox:latest` exist on the engine, building it when missing as
 * .ci/setup-podman.sh does (no registry here): a rootfs of busybox-static and its applet links,
 * imported with CMD ["/bin/sh"] and PATH=/bin. Works for Podman (libpod import) and Docker
 * (`docker import` over the API). Returns whether it had to build it.
 */
export async function ensureBusyboxImage(engine: ContainerEngine, ref = BUSYBOX_REF): Promise<boolean> {
  if (await engine.inspectImage(ref)) return false;
  if (!existsSync(BUSYBOX_BINARY)) {
    throw new Error(
      `${BUSYBOX_BINARY} is missing: install busybox-static (apt-get install busybox-static) to build ${ref}`,
    );
  }
  const root = await mkdtemp(join(tmpdir(), "gp-rootfs-"));
  try {
    for (const dir of ["bin", "dev", "proc", "sys", "tmp", "etc"]) await mkdir(join(root, dir));
    await copyFile(BUSYBOX_BINARY, join(root, "bin/busybox"));
    execFileSync("chmod", ["0755", join(root, "bin/busybox")]);
    const applets = execFileSync(BUSYBOX_BINARY, ["--list"], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    for (const applet of applets) {
      if (applet !== "busybox") await symlink("busybox", join(root, "bin", applet));
    }
    const tar = spawn("tar", ["-C", root, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<number>((resolve) => tar.on("close", (code) => resolve(code ?? 1)));
    await engine.importImage(ref, tar.stdout, { cmd: ["/bin/sh"], env: ["PATH=/bin"] });
    if ((await exited) !== 0) throw new Error("tar of the busybox rootfs failed");
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return true;
}
