import type { JobSpecJson } from "../jobs.js";

/** The store keeps a job's spec without looking into it: store tests pass any object as one. */
export function opaqueSpec(value: object): JobSpecJson {
  return value as JobSpecJson;
}
