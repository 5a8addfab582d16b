import { afterAll, describe, expect, it } from "vitest";
import type { ServiceView } from "../api/schemas.js";
import { podmanUnavailable } from "../engines/test-support/availability.js";
import { freePort } from "./test-support/free-port.js";
import { api, podmanSession } from "./test-support/kill9-suite.js";

/**
 * Services, acceptance 3 on real Podman (`gpupool up`, its own process): a busybox httpd service
 * with min 0, max 4 and a queue target of 5 per replica, behind its endpoint. A closed-loop load of
 * 20 clients (the queue they report: 20) brings it from 0 to 4 ready replicas; 5 clients bring it
 * back to 1 while they keep sending (three replicas drained under load); with no load it goes to 0
 * after its idle period. Every request sent to the endpoint is answered 200 (counted).
 */

const why = podmanUnavailable();
if (why && process.env.CI) throw new Error(`Podman is required in CI: ${why}`);
if (why) console.warn(`skipping the service endpoint test on Podman: ${why}`);

/** A CGI "frame": 100 ms of work, answered with the replica that did it. */
const FRAME_CGI =
  '#!/bin/sh\nsleep 0.1\nprintf "Content-Type: text/plain\\r\\n\\r\\nreplica %s\\n" "$GPUPOOL_REPLICA"\n';
const SERVE = [
  "sh",
  "-c",
  'mkdir -p /www/cgi-bin && printf "%s" "$FRAME_CGI" > /www/cgi-bin/frame && chmod +x /www/cgi-bin/frame && ' +
    "httpd -f -p 127.0.0.1:$PORT -h /www & p=$!; trap 'kill $p; exit 0' TERM; wait $p",
];

describe.skipIf(why !== undefined)(
  "a service scales with its queue behind its endpoint (real Podman)",
  () => {
    const session = podmanSession("gp-service-", "2xA100-80GB");
    afterAll(() => session.stop(), 120_000);

    it("0 → 4 replicas at queue 20, 4 → 1 under load, → 0 when idle; no request dropped", async () => {
      const { url } = await session.start();
      const port = await freePort();
      const created = await api<{ service: ServiceView }>(url, "POST", "/v1/jobs", {
        name: "frames",
        image: "localhost/busybox:latest",
        cpu: "100m",
        memory: "32Mi",
        gpu: 0.25,
        stopGraceSeconds: 5,
        env: { FRAME_CGI },
        command: SERVE,
        service: {
          minReplicas: 0,
          maxReplicas: 4,
          port,
          autoscale: { metric: "queue", targetPerReplica: 5, cooldownSeconds: 2, idleSeconds: 3 },
        },
      });
      const id = created.service.id;
      expect(created.service.desired).toBe(0);
      const svc = async () => (await api<{ service: ServiceView }>(url, "GET", `/v1/services/${id}`)).service;

      const counts = { sent: 0, ok: 0, failed: [] as string[], replicas: new Set<string>() };
      // Client i runs while i < wanted: lowering `wanted` stops the highest ones.
      let wanted = 0;
      const clients = new Map<number, Promise<void>>();
      const client = async (i: number) => {
        while (i < wanted) {
          counts.sent++;
          try {
            const res = await fetch(`http://127.0.0.1:${port}/cgi-bin/frame`);
            const text = await res.text();
            if (res.status === 200) {
              counts.ok++;
              counts.replicas.add(text.trim());
            } else counts.failed.push(`${res.status} ${text}`);
          } catch (err) {
            counts.failed.push(String(err));
          }
        }
        clients.delete(i);
      };
      const load = (n: number) => {
        wanted = n;
        for (let i = 0; i < n; i++) if (!clients.has(i)) clients.set(i, client(i));
      };
      // The load generator reports its queue: the requests it has outstanding.
      const reporter = setInterval(() => {
        void api(url, "POST", `/v1/services/${id}/metrics`, { queue: wanted }).catch(() => {});
      }, 250);
      const waitFor = async (what: string, ok: (v: ServiceView) => boolean, ms: number) => {
        const deadline = Date.now() + ms;
        for (let v = await svc(); ; v = await svc()) {
          if (ok(v)) return v;
          if (Date.now() > deadline) throw new Error(`${what} not reached: ${JSON.stringify(v)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      try {
        const t0 = Date.now();
        load(20);
        await waitFor("4 ready", (v) => v.ready === 4, 60_000);
        const toFour = Date.now() - t0;
        await new Promise((r) => setTimeout(r, 1000));
        load(5);
        const beforeDown = counts.sent;
        await waitFor("1 live under load", (v) => v.desired === 1 && v.live === 1, 60_000);
        const duringDown = counts.sent - beforeDown;
        await new Promise((r) => setTimeout(r, 1000));
        const t1 = Date.now();
        load(0);
        await Promise.all(clients.values());
        await waitFor("0 live", (v) => v.live === 0 && v.desired === 0, 60_000);
        const toZero = Date.now() - t1;
        console.log(
          `service: 0 → 4 ready in ${toFour} ms (cooldown 2 s + start); → 0 in ${toZero} ms after the load stopped (idle 3 s + stop); ` +
            `${counts.sent} requests sent (${duringDown} while 4 → 1), ${counts.ok} answered 200, ${counts.failed.length} failed; served by ${counts.replicas.size} replicas`,
        );
        expect(counts.failed.slice(0, 5)).toEqual([]);
        expect(counts.ok).toBe(counts.sent);
        expect(counts.replicas.size).toBeGreaterThanOrEqual(4);
        expect(counts.sent).toBeGreaterThan(100);
        expect(duringDown).toBeGreaterThan(10);
      } finally {
        clearInterval(reporter);
        wanted = 0;
      }
    }, 240_000);
  },
);
