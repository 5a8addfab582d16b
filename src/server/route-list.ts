import type { FastifyInstance } from "fastify";

/** A route as Fastify registered it: `GET /v1/jobs/:id`. */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
}

const lists = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/**
 * Records every route registered on the app from now on (HEAD routes Fastify adds for GET ones are
 * left out), so a test can check each against the route table the OpenAPI document comes from.
 */
export function recordRoutes(app: FastifyInstance): void {
  const list: RegisteredRoute[] = [];
  lists.set(app, list);
  app.addHook("onRoute", (r) => {
    for (const method of [r.method].flat()) if (method !== "HEAD") list.push({ method, url: r.url });
  });
}

export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return lists.get(app) ?? [];
}
