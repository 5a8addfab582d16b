import type { V1LabelSelector } from "@kubernetes/client-node";

/**
 * Kubernetes label selectors (matchLabels ANDed with matchExpressions: In, NotIn, Exists,
 * DoesNotExist). An empty selector matches everything; a missing one nothing (as PDBs read them).
 */
export function selectorMatches(
  sel: V1LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    const ok =
      e.operator === "In"
        ? has && values.includes(labels[e.key]!)
        : e.operator === "NotIn"
          ? !has || !values.includes(labels[e.key]!)
          : e.operator === "Exists"
            ? has
            : e.operator === "DoesNotExist"
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}
