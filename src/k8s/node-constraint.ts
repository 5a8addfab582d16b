import type {
  V1NodeSelectorRequirement,
  V1NodeSelectorTerm,
  V1Pod,
  V1Toleration,
} from "@kubernetes/client-node";
import type { NodeSpec, NodeTaint } from "../core/node.js";
import type { NodeConstraint } from "../core/workload.js";
import { MANAGED_TAINT } from "./names.js";

/**
 * The pod-level node checks kube-scheduler makes for any pod (NodeAffinity, TaintToleration), as a
 * workload's node constraint: `spec.nodeSelector`, required node affinity (terms ORed, expressions
 * ANDed: In, NotIn, Exists, DoesNotExist, Gt, Lt), and NoSchedule/NoExecute taints the pod does not
 * tolerate. gpupool's own managed taint is tolerated by every pod gpupool schedules (it only keeps
 * kube-scheduler's pods off GPU nodes). Field selectors (matchFields on metadata.name) are honoured
 * through the node's hostname label.
 */
export function nodeConstraintOf(pod: V1Pod): NodeConstraint | undefined {
  const selector = pod.spec?.nodeSelector ?? {};
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const tolerations = pod.spec?.tolerations ?? [];
  if (Object.keys(selector).length === 0 && !terms?.length && tolerations.length === 0) return ANY_UNTAINTED;
  const key = JSON.stringify([selector, terms ?? [], tolerations]);
  return {
    key,
    admits(node) {
      const labels = node.labels ?? {};
      for (const [k, v] of Object.entries(selector))
        if (labels[k] !== v) return "node(s) didn't match Pod's node affinity/selector";
      if (terms?.length && !terms.some((t) => termMatches(t, node)))
        return "node(s) didn't match Pod's node affinity/selector";
      const taint = untolerated(node.taints ?? [], tolerations);
      return taint
        ? `node(s) had taint {${taint.key}: ${taint.value ?? ""}}, that the pod didn't tolerate`
        : null;
    },
  };
}

/** The constraint of a pod without selectors or tolerations: any node without a hard taint. */
const ANY_UNTAINTED: NodeConstraint = {
  key: "untainted",
  admits(node) {
    const taint = untolerated(node.taints ?? [], []);
    return taint
      ? `node(s) had taint {${taint.key}: ${taint.value ?? ""}}, that the pod didn't tolerate`
      : null;
  },
};

function termMatches(term: V1NodeSelectorTerm, node: NodeSpec): boolean {
  const labels = node.labels ?? {};
  const exprs = term.matchExpressions ?? [];
  const fields = (term.matchFields ?? []).map((f) => ({
    ...f,
    key: f.key === "metadata.name" ? "\0name" : f.key,
  }));
  if (exprs.length === 0 && fields.length === 0) return false; // an empty term matches nothing
  const view = { ...labels, "\0name": node.name };
  return [...exprs, ...fields].every((e) => exprMatches(e, view));
}

function exprMatches(e: V1NodeSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, e.key);
  const value = labels[e.key];
  const values = e.values ?? [];
  switch (e.operator) {
    case "In":
      return has && values.includes(value!);
    case "NotIn":
      return !has || !values.includes(value!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      const n = Number.parseInt(value ?? "", 10);
      const bound = Number.parseInt(values[0] ?? "", 10);
      if (!has || Number.isNaN(n) || Number.isNaN(bound)) return false;
      return e.operator === "Gt" ? n > bound : n < bound;
    }
    default:
      return false;
  }
}

/** The first NoSchedule/NoExecute taint no toleration covers (gpupool's managed taint never counts). */
export function untolerated(
  taints: readonly NodeTaint[],
  tolerations: readonly V1Toleration[],
): NodeTaint | undefined {
  return taints.find(
    (t) =>
      t.effect !== "PreferNoSchedule" &&
      !(t.key === MANAGED_TAINT.key && t.effect === MANAGED_TAINT.effect) &&
      !tolerations.some((tol) => tolerates(tol, t)),
  );
}

function tolerates(tol: V1Toleration, taint: NodeTaint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (!tol.key) return tol.operator === "Exists"; // an empty key with Exists tolerates everything
  if (tol.key !== taint.key) return false;
  if (tol.operator === "Exists") return true;
  return (tol.value ?? "") === (taint.value ?? "");
}
