/**
 * Writer for the kill -9 test (run with register-ts.mjs): drives jobs through their states as
 * fast as it can and prints one JSON line per committed change, until it is killed.
 * argv: <store path> <run tag>
 */
import { Store } from "../store.js";
import { opaqueSpec } from "./opaque-spec.js";
import type { JobState } from "../job-states.js";

const [path, tag] = process.argv.slice(2) as [string, string];
const store = Store.open(path);
if (!store.tenants.get("crash")) store.tenants.create("crash");
const steps: JobState[] = ["Scheduled", "Starting", "Running", "Succeeded"];
const allocation = {
  workloadId: "",
  node: "n1",
  cpuMilli: 100,
  memoryMiB: 64,
  gpus: [{ index: 0, milli: 1000, memoryMiB: 81920 }],
};
for (let i = 0; ; i++) {
  const { job } = store.jobs.submit("crash", {
    name: `job-${i}`,
    spec: opaqueSpec({ image: "busybox", i }),
    clientRequestId: `${tag}-${i}`,
  });
  process.stdout.write(`${JSON.stringify({ id: job.id, state: job.state, requestId: `${tag}-${i}` })}\n`);
  for (const to of steps.slice(0, i % (steps.length + 1))) {
    const next = store.jobs.transition(job.id, to, {
      node: "n1",
      allocation: { ...allocation, workloadId: job.id },
    });
    if (to === "Running") store.usage.add(job.id, 1000, 5);
    process.stdout.write(`${JSON.stringify({ id: next.id, state: next.state })}\n`);
  }
}
