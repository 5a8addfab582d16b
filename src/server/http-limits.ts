/**
 * How long the HTTP server waits on a client, and how many it holds at once. Without limits a
 * client that opens a connection and sends nothing, half its headers, or half its body holds a
 * socket forever (300 such connections were held for 330 s, token or not). Node's HTTP server
 * enforces these itself: headers not complete after `headersTimeoutMs`, or a request not complete
 * after `requestTimeoutMs`, is answered 408 and the socket closed (checked every
 * `checkIntervalMs`); an idle keep-alive socket is closed after `keepAliveTimeoutMs`; connections
 * beyond `maxConnections` are refused at accept.
 */
export interface HttpLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly checkIntervalMs: number;
  readonly maxConnections: number;
}

/**
 * The defaults: 10 s for the headers (a client on loopback sends them in microseconds), 30 s for
 * a whole request (a job spec is at most 1 MiB), 10 s of keep-alive idleness, 4,096 connections.
 * A streaming response (logs -f) is not a request still arriving: these limits do not end it.
 */
export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 10_000,
  checkIntervalMs: 1_000,
  maxConnections: 4_096,
});

/** The Fastify server options that set the limits (maxConnections is set on the server after). */
export function fastifyLimitOptions(l: HttpLimits) {
  return {
    // Fastify sets these two on the server after creating it.
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // Passed to http.createServer: the headers limit and how often all of them are checked.
    http: {
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      connectionsCheckingInterval: l.checkIntervalMs,
    },
  };
}
