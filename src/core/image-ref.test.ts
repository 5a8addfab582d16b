import { describe, expect, it } from "vitest";
import { imageReferenceProblem } from "./image-ref.js";

describe("image references (the engines' grammar)", () => {
  it.each([
    "busybox",
    "localhost/busybox:latest",
    "docker.io/library/python:3.12-slim",
    "nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04",
    "registry.example.com:5000/team/a_b__c-d.e:v1",
    "Registry.Example.COM/team/app:tag",
    "[::1]:5000/app:1",
    "192.168.1.10:5000/app",
    `busybox@sha256:${"a".repeat(64)}`,
    `ghcr.io/o/r:1.0@sha256:${"0".repeat(64)}`,
  ])("accepts %s", (ref) => {
    expect(imageReferenceProblem(ref)).toBeUndefined();
  });

  it.each([
    ["uppercase in the path", "localhost/BusyBox:latest"],
    ["uppercase alone", "Busybox"],
    ["unicode", "localhost/büsybox"],
    ["../", "localhost/../etc/passwd"],
    ["a leading slash", "/busybox"],
    ["a NUL", "busybox\u0000:latest"],
    ["an empty tag", "busybox:"],
    ["a tag starting with -", "busybox:-x"],
    ["a tag of 129 characters", `busybox:${"t".repeat(129)}`],
    ["a short digest", "busybox@sha256:abc"],
    ["a double slash", "localhost//busybox"],
    ["a trailing separator", "localhost/busybox-"],
    ["whitespace", "busy box"],
  ])("refuses %s", (_why, ref) => {
    expect(imageReferenceProblem(ref)).toMatch(/^is not an image reference/);
  });

  it("refuses a name over 255 characters", () => {
    expect(imageReferenceProblem(`localhost/${"a".repeat(250)}:1`)).toMatch(/at most 255/);
  });
});
