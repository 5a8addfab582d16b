import { describe, expect, it } from "vitest";
import {
  holdRetryForGang,
  type AfterExit,
  afterExit,
  billedMs,
  type ExitFacts,
  recoveryAction,
  type RecoveryFacts,
} from "./lifecycle.js";

/** The lifecycle's decisions as tables: each row names the rule it pins (no engine, store or server). */

const never = { restartPolicy: "Never", backoffLimit: 3, backoffSeconds: 10 } as const;
const onFailure = { restartPolicy: "OnFailure", backoffLimit: 2, backoffSeconds: 10 } as const;
const base: ExitFacts = { code: 0, attempts: 1, spec: never, endedAt: 1_000_000 };

describe("afterExit: what an attempt's end turns the job into", () => {
  const rows: [string, Partial<ExitFacts>, AfterExit][] = [
    ["exit 0 → Succeeded", {}, { to: "Succeeded", reason: "exited 0" }],
    ["exit 3, restart policy Never → Failed, no retry", { code: 3 }, { to: "Failed", reason: "exit code 3" }],
    ["OOM kill says so", { code: 137, oomKilled: true }, { to: "Failed", reason: "OOM-killed (exit 137)" }],
    [
      "exit 1 under OnFailure, first attempt → Failed with a retry after backoffSeconds",
      { code: 1, spec: onFailure },
      {
        to: "Failed",
        reason: "exit code 1",
        retry: { notBefore: 1_010_000, reason: "retry 1/2 in 10s (restart policy OnFailure)" },
      },
    ],
    [
      "the backoff doubles per attempt",
      { code: 1, spec: onFailure, attempts: 2 },
      {
        to: "Failed",
        reason: "exit code 1",
        retry: { notBefore: 1_020_000, reason: "retry 2/2 in 20s (restart policy OnFailure)" },
      },
    ],
    [
      "out of retries → Failed for good",
      { code: 1, spec: onFailure, attempts: 3 },
      { to: "Failed", reason: "exit code 1" },
    ],
    [
      "(a) exit 0 during a preemption's grace period → Succeeded once, never requeued",
      { code: 0, stop: { kind: "preempt", reason: "preempted by j-vip" } },
      { to: "Succeeded", reason: "exited 0 while being stopped (preempted by j-vip)" },
    ],
    [
      "preempted, exits 143 (wants to resume) → Preempted and requeued",
      { code: 143, stop: { kind: "preempt", reason: "preempted by j-vip" } },
      { to: "Preempted", reason: "preempted by j-vip (exit 143)", requeue: "requeued (preempted by j-vip)" },
    ],
    [
      "a preempted job is requeued whatever its restart policy",
      { code: 137, spec: onFailure, attempts: 3, stop: { kind: "preempt", reason: "reclaimed by j-b" } },
      { to: "Preempted", reason: "reclaimed by j-b (exit 137)", requeue: "requeued (reclaimed by j-b)" },
    ],
    [
      "a cancel wins over the exit code (0 too) → Cancelled",
      { code: 0, stop: { kind: "cancel", reason: "stopped by acme" } },
      { to: "Cancelled", reason: "stopped by acme" },
    ],
    [
      "a timeout → Failed, not retried even under OnFailure",
      { code: 143, spec: onFailure, stop: { kind: "timeout", reason: "timed out after 5s" } },
      { to: "Failed", reason: "timed out after 5s" },
    ],
    [
      "stopped because a gang sibling failed → Failed, whatever it exited with",
      { code: 0, stop: { kind: "gang", reason: "gang member t-1 failed (exit code 1)" } },
      { to: "Failed", reason: "gang member t-1 failed (exit code 1)" },
    ],
    [
      "… and retried under OnFailure, so the gang restarts together",
      { code: 143, spec: onFailure, stop: { kind: "gang", reason: "gang member t-1 failed (exit code 1)" } },
      {
        to: "Failed",
        reason: "gang member t-1 failed (exit code 1)",
        retry: { notBefore: 1_010_000, reason: "retry 1/2 in 10s (restart policy OnFailure)" },
      },
    ],
  ];
  for (const [name, facts, want] of rows)
    it(name, () => expect(afterExit({ ...base, ...facts })).toEqual(want));
});

describe("holdRetryForGang", () => {
  const retry = { notBefore: 1_010_000, reason: "retry 1/2 in 10s (restart policy OnFailure)" };
  it("holds a failed member's retry until its siblings' grace (and SIGKILL) is surely over", () => {
    expect(holdRetryForGang({ to: "Failed", reason: "exit code 1", retry }, 1_000_000, 30)).toEqual({
      to: "Failed",
      reason: "exit code 1",
      retry: { notBefore: 1_031_000, reason: `${retry.reason}, once its gang has stopped` },
    });
  });
  it("leaves a later retry, or none, as it is", () => {
    expect(holdRetryForGang({ to: "Failed", reason: "x", retry }, 1_000_000, 2)).toEqual({
      to: "Failed",
      reason: "x",
      retry,
    });
    expect(holdRetryForGang({ to: "Failed", reason: "x" }, 1_000_000, 30)).toEqual({
      to: "Failed",
      reason: "x",
    });
  });
});

describe("recoveryAction: a placed job found after a restart", () => {
  const cancel = { kind: "cancel", reason: "stopped by acme" } as const;
  const rows: [string, RecoveryFacts, ReturnType<typeof recoveryAction>][] = [
    [
      "Scheduled (never launched) → requeue",
      { state: "Scheduled" },
      { do: "requeue", reason: "no container of this attempt exists (not created yet, or removed)" },
    ],
    [
      "Starting, no container → requeue",
      { state: "Starting" },
      { do: "requeue", reason: "no container of this attempt exists (not created yet, or removed)" },
    ],
    [
      "Starting, container created but never started → requeue",
      { state: "Starting", container: { status: "created" } },
      { do: "requeue", reason: "its container never started" },
    ],
    [
      "(b) a cancel recorded before the crash and the container never ran → Cancelled, not requeued",
      { state: "Starting", container: { status: "created" }, stop: cancel },
      { do: "cancel", reason: "stopped by acme" },
    ],
    [
      "(b) killed during a graceful stop, the container still running (podman 'stopping') → adopt and finish the stop",
      { state: "Running", container: { status: "running" }, stop: cancel },
      { do: "adopt", resumeStop: cancel },
    ],
    [
      "exited while gpupool was down → finish with its exit code",
      { state: "Running", container: { status: "exited", exitCode: 5 } },
      { do: "finish", code: 5 },
    ],
    ["running, no stop → adopt", { state: "Running", container: { status: "running" } }, { do: "adopt" }],
  ];
  for (const [name, facts, want] of rows) it(name, () => expect(recoveryAction(facts)).toEqual(want));
});

describe("billedMs: GPU time of an attempt", () => {
  it("(e) counts from the attempt's original start to its end, across a restart in between", () => {
    // Started at t=1000 s, gpupool down from 1500 s to 1600 s, the container ended at 1550 s.
    expect(billedMs(1_000_000, 1_550_000)).toBe(550_000);
  });
  it("never negative, nothing when it never started", () => {
    expect(billedMs(2000, 1000)).toBe(0);
    expect(billedMs(null, 1000)).toBe(0);
  });
});
