import type { KubeWrites } from "../kube-writes.js";

/** KubeWrites that log each call ("bind NAME NODE", "evict NAME", …) into `calls`, then delegate. */
export function recordingWrites(inner: KubeWrites, calls: string[]): KubeWrites {
  return {
    bind(p, node, annotations) {
      calls.push(`bind ${p.name} ${node}`);
      return inner.bind(p, node, annotations);
    },
    evict(p) {
      calls.push(`evict ${p.name}`);
      return inner.evict(p);
    },
    unschedulable(p, message) {
      calls.push(`unschedulable ${p.name}: ${message}`);
      return inner.unschedulable(p, message);
    },
    nominate(p, node) {
      calls.push(`nominate ${p.name} ${node}`);
      return inner.nominate(p, node);
    },
    warn(p, reason, message) {
      calls.push(`warn ${p.name} ${reason}`);
      return inner.warn(p, reason, message);
    },
  };
}

/** KubeWrites that succeed without an API server (port tests); `bind` may be replaced. */
export function okWrites(bind: KubeWrites["bind"] = async () => "bound"): KubeWrites {
  return {
    bind,
    evict: async () => "evicted",
    unschedulable: async () => {},
    nominate: async () => {},
    warn: async () => {},
  };
}
