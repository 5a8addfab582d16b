import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { identifyPod, type ListedPod, slicelessPods } from "./allocate-pod.js";
import { assignmentAnnotation } from "./assignment.js";

const slice = (node = "n1") =>
  assignmentAnnotation({
    workloadId: "w",
    node,
    cpuMilli: 0,
    memoryMiB: 0,
    gpus: [{ index: 0, milli: 250, memoryMiB: 10_240 }],
  });

function pod(
  name: string,
  o: { annotation?: string; scheduler?: string; writer?: string; phase?: string; devices?: number } = {},
): V1Pod {
  return {
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      ...(o.annotation ? { annotations: { "gpupool.dev/assignment": o.annotation } } : {}),
      ...(o.writer
        ? {
            managedFields: [
              {
                manager: o.writer,
                operation: "Update",
                fieldsV1: { "f:metadata": { "f:annotations": { "f:gpupool.dev/assignment": {} } } },
              },
            ],
          }
        : {}),
    },
    spec: {
      nodeName: "n1",
      schedulerName: o.scheduler ?? "gpupool",
      containers: [{ name: "main", resources: { limits: { "gpupool.dev/gpu": String(o.devices ?? 1) } } }],
    },
    ...(o.phase ? { status: { phase: o.phase } } : {}),
  };
}
const listed = (...names: string[]): ListedPod[] =>
  names.map((name) => ({ namespace: "default", name, containers: [{ name: "main", deviceIds: [] }] }));

describe("which pod an Allocate is for", () => {
  it("finds the one bound pod with gpupool's slice, and refuses to guess between two", () => {
    const a = pod("a", { annotation: slice() });
    const b = pod("b", { annotation: slice() });
    expect(identifyPod(listed("a"), [a, b], 1, new Set())).toMatchObject({
      kind: "found",
      target: { container: "main", allocation: { node: "n1" } },
    });
    expect(identifyPod(listed("a", "b"), [a, b], 1, new Set())).toEqual({
      kind: "ambiguous",
      candidates: ["default/a/main", "default/b/main"],
    });
    // Answered once, a container is not a candidate again; nor is a finished pod.
    expect(identifyPod(listed("a", "b"), [a, b], 1, new Set(["uid-b/main"])).kind).toBe("found");
    expect(
      identifyPod(listed("a"), [pod("a", { annotation: slice(), phase: "Failed" })], 1, new Set()),
    ).toEqual({ kind: "none" });
  });

  it("a forged slice, a foreign binding and a slice for another node are no slice, each said why", () => {
    const pods = [
      pod("forged", { annotation: slice(), writer: "kubectl-client-side-apply" }),
      pod("foreign", { scheduler: "default-scheduler" }),
      pod("direct"),
      pod("elsewhere", { annotation: slice("n2") }),
      pod("garbled", { annotation: "{not json" }),
      pod("ours", { annotation: slice(), writer: "gpupool-scheduler" }),
    ];
    const all = listed(...pods.map((p) => p.metadata!.name!));
    const found = identifyPod(all, pods, 1, new Set());
    expect(found).toMatchObject({ kind: "found", target: { pod: { metadata: { name: "ours" } } } });
    const why = Object.fromEntries(slicelessPods(all, pods, 1).map((p) => [p.pod.metadata!.name, p.why]));
    expect(Object.keys(why).sort()).toEqual(["direct", "elsewhere", "foreign", "forged", "garbled"]);
    expect(why.forged).toContain('written by "kubectl-client-side-apply", not by gpupool\'s scheduler');
    expect(why.foreign).toContain("bound by default-scheduler");
    expect(why.direct).toContain("spec.nodeName was set directly");
    expect(why.elsewhere).toContain("for node n2, not n1");
    expect(why.garbled).toContain("not JSON");
    // Only pods asking for as many devices as the Allocate carries.
    expect(slicelessPods(all, pods, 2)).toEqual([]);
  });
});
