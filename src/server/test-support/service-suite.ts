import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobView, ServiceView } from "../../api/schemas.js";
import { freePort } from "./free-port.js";
import { api, ensureBuilt, type Up, up } from "./kill9-suite.js";

/**
 * Services on a real engine through `gpupool up` (its own process), shared by the Podman and Docker
 * tests: autoscaling on a reported queue under load (issue 13, acceptance 3), a rolling update
 * under load (acceptance 4), quotas and preemption (acceptance 5), and a kill -9 of the server with
 * a service running. Requests are sent
 * to the service's endpoint throughout and every one is counted.
 */

export interface ServiceSuiteOptions {
  readonly skip: string | undefined;
  /** `gpupool up --engine` value and extra environment (e.g. DOCKER_HOST). */
  readonly engine: () => Promise<{ name: string; env: Record<string, string> }>;
}

/** A CGI "frame": 100 ms of work, answered with the spec's VERSION and the replica that did it. */
const FRAME_CGI =
  '#!/bin/sh\nsleep 0.1\nprintf "Content-Type: text/plain\\r\\n\\r\\nv%s replica %s\\n" "$VERSION" "$GPUPOOL_REPLICA"\n';
/** A queue length at /cgi-bin/q: `?N` sets this replica's, plain GET answers it (0 at first). */
const Q_CGI =
  '#!/bin/sh\n[ -n "$QUERY_STRING" ] && echo "$QUERY_STRING" > /tmp/q\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\ncat /tmp/q 2>/dev/null || echo 0\n';
const SERVE = [
  "sh",
  "-c",
  'mkdir -p /www/cgi-bin && printf "%s" "$FRAME_CGI" > /www/cgi-bin/frame && printf "%s" "$Q_CGI" > /www/cgi-bin/q && chmod +x /www/cgi-bin/* && ' +
    "httpd -f -p 127.0.0.1:$PORT -h /www & p=$!; trap 'kill $p; exit 0' TERM; wait $p",
];

function serviceSpec(name: string, port: number, service: Record<string, unknown>, version = "1") {
  return {
    name,
    image: "localhost/busybox:latest",
    cpu: "100m",
    memory: "32Mi",
    gpu: 0.25,
    stopGraceSeconds: 5,
    env: { FRAME_CGI, Q_CGI, VERSION: version },
    command: SERVE,
    service: { port, ...service },
  };
}

/** Closed-loop clients of an endpoint: client i runs while i < wanted; every answer is counted. */
function loadGenerator(port: number) {
  const counts = { sent: 0, ok: 0, failed: [] as string[], bodies: new Map<string, number>() };
  let wanted = 0;
  const clients = new Map<number, Promise<void>>();
  const client = async (i: number) => {
    while (i < wanted) {
      counts.sent++;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/cgi-bin/frame`);
        const text = (await res.text()).trim();
        if (res.status === 200) {
          counts.ok++;
          counts.bodies.set(text, (counts.bodies.get(text) ?? 0) + 1);
        } else counts.failed.push(`${res.status} ${text}`);
      } catch (err) {
        counts.failed.push(String((err as Error).cause ?? err));
      }
    }
    clients.delete(i);
  };
  return {
    counts,
    get wanted() {
      return wanted;
    },
    load(n: number) {
      wanted = n;
      for (let i = 0; i < n; i++) if (!clients.has(i)) clients.set(i, client(i));
    },
    async stop() {
      wanted = 0;
      await Promise.all(clients.values());
    },
  };
}

export function serviceSuite(title: string, opts: ServiceSuiteOptions): void {
  describe.skipIf(opts.skip !== undefined)(`services behind their endpoint (${title})`, () => {
    let data = "";
    let current: Up | undefined;
    let engine: { name: string; env: Record<string, string> };
    beforeAll(async () => {
      ensureBuilt();
      engine = await opts.engine();
      data = await mkdtemp(join(tmpdir(), "gp-service-"));
      current = await up(data, engine.name, engine.env, "2xA100-80GB");
    }, 180_000);
    afterAll(async () => {
      if (current) {
        const { services } = await api<{ services: ServiceView[] }>(current.url, "GET", "/v1/services").catch(
          () => ({ services: [] as ServiceView[] }),
        );
        for (const s of services)
          await api(current.url, "DELETE", `/v1/services/${s.id}?force=true`).catch(() => {});
        current.child.kill("SIGTERM");
        await new Promise((r) => current!.child.once("exit", r));
      }
      if (data) await rm(data, { recursive: true, force: true });
    }, 120_000);

    const svc = async (id: string) =>
      (await api<{ service: ServiceView }>(current!.url, "GET", `/v1/services/${id}`)).service;
    const waitFor = async (id: string, what: string, ok: (v: ServiceView) => boolean, ms = 60_000) => {
      const deadline = Date.now() + ms;
      for (let v = await svc(id); ; v = await svc(id)) {
        if (ok(v)) return v;
        if (Date.now() > deadline) throw new Error(`${what} not reached: ${JSON.stringify(v)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    it("autoscales on its queue: 0 → 4 at queue 20 (target 5), 4 → 1 under load, 0 when idle; no request dropped", async () => {
      const url = current!.url;
      const port = await freePort();
      const spec = serviceSpec("frames", port, {
        minReplicas: 0,
        maxReplicas: 4,
        autoscale: { metric: "queue", targetPerReplica: 5, cooldownSeconds: 2, idleSeconds: 3 },
      });
      const { service } = await api<{ service: ServiceView }>(url, "POST", "/v1/jobs", spec);
      expect(service.desired).toBe(0);
      const gen = loadGenerator(port);
      // The load generator reports its queue: the frames it has outstanding.
      const reporter = setInterval(() => {
        void api(url, "POST", `/v1/services/${service.id}/metrics`, { queue: gen.wanted }).catch(() => {});
      }, 250);
      try {
        const t0 = Date.now();
        gen.load(20);
        await waitFor(service.id, "4 ready", (v) => v.ready === 4);
        const toFour = Date.now() - t0;
        await new Promise((r) => setTimeout(r, 1000));
        gen.load(5);
        const beforeDown = gen.counts.sent;
        await waitFor(service.id, "1 live under load", (v) => v.desired === 1 && v.live === 1);
        const duringDown = gen.counts.sent - beforeDown;
        await new Promise((r) => setTimeout(r, 1000));
        const t1 = Date.now();
        await gen.stop();
        await waitFor(service.id, "0 live", (v) => v.live === 0 && v.desired === 0);
        const toZero = Date.now() - t1;
        const c = gen.counts;
        console.log(
          `${title}: 0 → 4 ready in ${toFour} ms (cooldown 2 s + start); → 0 in ${toZero} ms after the load stopped (idle 3 s + stop); ` +
            `${c.sent} requests sent (${duringDown} while 4 → 1), ${c.ok} answered 200, ${c.failed.length} failed; served by ${c.bodies.size} replicas`,
        );
        expect(c.failed.slice(0, 5)).toEqual([]);
        expect(c.ok).toBe(c.sent);
        expect(c.bodies.size).toBeGreaterThanOrEqual(4);
        expect(duringDown).toBeGreaterThan(10);
      } finally {
        clearInterval(reporter);
        await gen.stop();
      }
    }, 240_000);

    it("a rolling update of 3 replicas under load keeps ≥ 2 running and ends with 3 of the new spec; no request dropped", async () => {
      const url = current!.url;
      const port = await freePort();
      const { service } = await api<{ service: ServiceView }>(
        url,
        "POST",
        "/v1/jobs",
        serviceSpec("api", port, { replicas: 3 }),
      );
      await waitFor(service.id, "3 ready", (v) => v.ready === 3);
      const gen = loadGenerator(port);
      gen.load(6);
      try {
        await new Promise((r) => setTimeout(r, 500));
        const updated = await api<{ service: ServiceView }>(
          url,
          "PUT",
          `/v1/services/${service.id}`,
          serviceSpec("api", port, { replicas: 3 }, "2"),
        );
        expect(updated.service.generation).toBe(2);
        let leastReady = 3;
        let leastRunning = 3;
        const replicas = async () =>
          (await api<{ jobs: JobView[] }>(url, "GET", "/v1/jobs?limit=1000")).jobs.filter(
            (j) => j.service === service.id,
          );
        for (const deadline = Date.now() + 90_000; ; ) {
          const [v, js] = await Promise.all([svc(service.id), replicas()]);
          leastReady = Math.min(leastReady, v.ready);
          leastRunning = Math.min(leastRunning, js.filter((j) => j.state === "Running").length);
          const live = js.filter((j) => !["Succeeded", "Failed", "Cancelled"].includes(j.state));
          if (v.updated === 3 && v.ready === 3 && live.length === 3) break;
          if (Date.now() > deadline) throw new Error(`update not done: ${JSON.stringify(v)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const sentAtEnd = gen.counts.sent;
        await new Promise((r) => setTimeout(r, 1000));
        await gen.stop();
        const c = gen.counts;
        const v2 = [...c.bodies.entries()].filter(([b]) => b.startsWith("v2 ")).length;
        console.log(
          `${title}: rolling update of 3: least ready ${leastReady}, least running ${leastRunning}; ${c.sent} requests, ${c.ok} answered 200, ${c.failed.length} failed; ${v2} new replicas answered`,
        );
        expect(c.failed.slice(0, 5)).toEqual([]);
        expect(c.ok).toBe(c.sent);
        expect(leastRunning).toBeGreaterThanOrEqual(2);
        expect(leastReady).toBeGreaterThanOrEqual(2);
        expect(v2).toBe(3);
        expect(c.sent).toBeGreaterThan(sentAtEnd);
      } finally {
        await gen.stop();
        await api(url, "POST", `/v1/services/${service.id}/stop`);
      }
    }, 240_000);

    it("its replicas obey the tenant's GPU quota (the reason shown) and priorities: preempted ones come back after", async () => {
      const url = current!.url;
      const { token } = await api<{ token: string }>(url, "POST", "/v1/tenants", {
        name: "farm",
        quotas: { gpuMilli: 1000 },
      });
      const asFarm = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body ? { "content-type": "application/json" } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const json = (await res.json()) as T;
        if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
        return json;
      };
      const port = await freePort();
      const spec = { ...serviceSpec("capped", port, { replicas: 4 }), gpu: 0.5, priority: "low" };
      const { service } = await asFarm<{ service: ServiceView }>("POST", "/v1/jobs", spec);
      const mine = async () =>
        (await asFarm<{ service: ServiceView }>("GET", `/v1/services/${service.id}`)).service;
      const until = async (what: string, ok: (v: ServiceView) => boolean, ms = 60_000) => {
        let most = 0;
        const deadline = Date.now() + ms;
        for (let v = await mine(); ; v = await mine()) {
          most = Math.max(most, v.live);
          if (ok(v)) return { v, most };
          if (Date.now() > deadline) throw new Error(`${what} not reached: ${JSON.stringify(v)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const capped = (await until("2 ready", (v) => v.ready === 2)).v;
      expect(capped.desired).toBe(4);
      expect(capped.live).toBe(2);
      expect(capped.reason).toContain("2 replica(s) wait: tenant farm's GPU quota (1 GPU)");
      // The admin's high-priority job takes both GPUs: the replicas are preempted, and come back once it ends.
      const big = await api<{ jobs: JobView[] }>(url, "POST", "/v1/jobs", {
        name: "big",
        image: "localhost/busybox:latest",
        gpus: 2,
        priority: "high",
        command: ["sleep", "3"],
      });
      const preempted = await until("preempted", (v) => v.ready === 0);
      const back = await until("2 ready again", (v) => v.ready === 2);
      const bigJob = (await api<{ job: JobView }>(url, "GET", `/v1/jobs/${big.jobs[0]!.id}`)).job;
      console.log(
        `${title}: quota holds the service at ${capped.live} of ${capped.desired} ("${capped.reason}"); preempted by ${bigJob.name} (${bigJob.state}), back to ${back.v.ready} ready; at most ${Math.max(preempted.most, back.most)} live`,
      );
      expect(bigJob.state).toBe("Succeeded");
      expect(Math.max(preempted.most, back.most)).toBeLessThanOrEqual(2);
      await asFarm("POST", `/v1/services/${service.id}/stop`);
    }, 180_000);

    it("reads its queue from its replicas (autoscale.queuePath): 1 → 3 replicas at queue 12 (target 5), back to 1 at 0", async () => {
      const url = current!.url;
      const port = await freePort();
      const { service } = await api<{ service: ServiceView }>(
        url,
        "POST",
        "/v1/jobs",
        serviceSpec("polled", port, {
          minReplicas: 1,
          maxReplicas: 3,
          autoscale: { metric: "queue", targetPerReplica: 5, cooldownSeconds: 1, queuePath: "/cgi-bin/q" },
        }),
      );
      await waitFor(service.id, "1 ready", (v) => v.ready === 1);
      const set = async (n: number) => (await fetch(`http://127.0.0.1:${port}/cgi-bin/q?${n}`)).text();
      expect((await set(12)).trim()).toBe("12");
      const three = await waitFor(service.id, "3 ready", (v) => v.ready === 3);
      expect(three.autoscale?.value).toBe(12);
      // Round-robin: three requests set every replica's queue to 0.
      for (let i = 0; i < 6; i++) await set(0);
      const one = await waitFor(service.id, "back to 1", (v) => v.desired === 1 && v.live === 1);
      expect(one.autoscale?.value).toBe(0);
      await api(url, "POST", `/v1/services/${service.id}/stop`);
    }, 120_000);

    it("kill -9 of the server: its replicas are adopted (none made again) and the endpoint serves again", async () => {
      const port = await freePort();
      const { service } = await api<{ service: ServiceView }>(
        current!.url,
        "POST",
        "/v1/jobs",
        serviceSpec("steady", port, { replicas: 2 }),
      );
      await waitFor(service.id, "2 ready", (v) => v.ready === 2);
      const owned = async () =>
        (await api<{ jobs: JobView[] }>(current!.url, "GET", "/v1/jobs?limit=1000")).jobs
          .filter((j) => j.service === service.id)
          .map((j) => `${j.name} ${j.state}`)
          .sort();
      const before = await owned();
      current!.child.kill("SIGKILL");
      await new Promise((r) => current!.child.once("exit", r));
      current = await up(data, engine.name, engine.env, "2xA100-80GB");
      await waitFor(service.id, "2 ready again", (v) => v.ready === 2, 30_000);
      const res = await fetch(`http://127.0.0.1:${port}/cgi-bin/frame`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^v1 replica [01]\n$/);
      expect(await owned()).toEqual(before);
      expect(before).toEqual(["steady-0 Running", "steady-1 Running"]);
    }, 180_000);
  });
}
