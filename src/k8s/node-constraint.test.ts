import type { V1PodSpec } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { NodeSpec } from "../core/node.js";
import { nodeConstraintOf } from "./node-constraint.js";

const node = (labels: Record<string, string>, taints: NodeSpec["taints"] = []): NodeSpec => ({
  name: labels["kubernetes.io/hostname"] ?? "n",
  cpuMilli: 1000,
  memoryMiB: 1024,
  labels,
  taints,
  gpus: [],
});
type Spec = Partial<V1PodSpec>;
const admits = (spec: Spec, n: NodeSpec) =>
  nodeConstraintOf({ spec: { containers: [], ...spec } })!.admits(n);

describe("the pod-level node checks", () => {
  const gpuA = node({ "kubernetes.io/hostname": "a", zone: "z1", gen: "9" });
  const gpuB = node({ "kubernetes.io/hostname": "b", zone: "z2" }, [
    { key: "team", value: "ml", effect: "NoSchedule" },
  ]);

  it("nodeSelector must match every label", () => {
    expect(admits({ nodeSelector: { zone: "z1" } }, gpuA)).toBeNull();
    expect(admits({ nodeSelector: { zone: "z2" } }, gpuA)).toMatch(/affinity\/selector/);
  });

  it("required node affinity: terms ORed, expressions ANDed, all operators, matchFields on the name", () => {
    const terms = (t: unknown[]) =>
      ({
        affinity: {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: t } },
        },
      }) as Spec;
    const e = (key: string, operator: string, values?: string[]) => ({
      matchExpressions: [{ key, operator, values }],
    });
    expect(admits(terms([e("zone", "In", ["z1", "z3"])]), gpuA)).toBeNull();
    expect(admits(terms([e("zone", "NotIn", ["z1"])]), gpuA)).not.toBeNull();
    expect(admits(terms([e("zone", "NotIn", ["z1"]), e("gen", "Exists")]), gpuA)).toBeNull();
    expect(admits(terms([e("gen", "DoesNotExist")]), gpuA)).not.toBeNull();
    expect(admits(terms([e("gen", "Gt", ["8"])]), gpuA)).toBeNull();
    expect(admits(terms([e("gen", "Lt", ["8"])]), gpuA)).not.toBeNull();
    expect(
      admits(terms([{ matchFields: [{ key: "metadata.name", operator: "In", values: ["a"] }] }]), gpuA),
    ).toBeNull();
    expect(admits(terms([{}]), gpuA)).not.toBeNull();
  });

  it("a NoSchedule taint needs a toleration; gpupool's own managed taint never does", () => {
    expect(admits({}, gpuB)).toMatch(/taint \{team: ml\}/);
    expect(
      admits({ tolerations: [{ key: "team", operator: "Equal", value: "ml", effect: "NoSchedule" }] }, gpuB),
    ).toBeNull();
    expect(admits({ tolerations: [{ key: "team", operator: "Exists" }] }, gpuB)).toBeNull();
    expect(admits({ tolerations: [{ operator: "Exists" }] }, gpuB)).toBeNull();
    expect(admits({ tolerations: [{ key: "team", value: "cv" }] }, gpuB)).not.toBeNull();
    const managed = node({}, [{ key: "gpupool.dev/managed", value: "true", effect: "NoSchedule" }]);
    expect(admits({}, managed)).toBeNull();
    const soft = node({}, [{ key: "x", effect: "PreferNoSchedule" }]);
    expect(admits({}, soft)).toBeNull();
  });

  it("equal constraints share a cache key, different ones do not", () => {
    const k = (s: Spec) => nodeConstraintOf({ spec: { containers: [], ...s } })!.key;
    expect(k({ nodeSelector: { zone: "z1" } })).toBe(k({ nodeSelector: { zone: "z1" } }));
    expect(k({ nodeSelector: { zone: "z1" } })).not.toBe(k({ nodeSelector: { zone: "z2" } }));
    expect(k({})).toBe("untainted");
  });
});
