// @ts-check
/**
 * Import rules for src/, checked by dependency-cruiser as part of `npm run lint`.
 *
 * Layers, top to bottom (an arrow may only point down):
 *
 *   apps      cli/  server/  k8s/  bench/  demo/    (+ e2e/: end-to-end tests only)
 *   agent     agent/ (standalone node agent)   sim/ (drives the scheduler offline)
 *   loop      loop/ (the scheduling loop over the cluster port; agent/ and k8s/ each implement it)
 *   contract  api/
 *   adapters  engines/  node/  store/
 *             scheduler/
 *             core/
 *
 * sim/ sits beside agent/ and loop/: the apps use it, nothing below imports it. The apps may use one another
 * (cli's `up` command starts the server), except that nothing imports cli/ and cli/client/ reaches
 * the server only over HTTP. Adapters may use one another (none does today).
 *
 * The layer rules apply to the shipped source. Test files (*.test.ts, including the shared suites
 * *.case.test.ts) and test-support/ folders may import what they need, except cli/ (see
 * no-import-of-cli); circles and unresolvable or undeclared imports are errors everywhere.
 *
 * Type-only imports count (tsPreCompilationDeps): a type-only arrow still couples the two modules.
 *
 * Known violations that exist on purpose while other work lands are listed in
 * .dependency-cruiser-known-violations.json (`npm run lint:deps:baseline` rewrites it); lint ignores
 * exactly those. Drop an entry once its fix has merged.
 */

/** Files that are not built into dist/ (tsconfig.build.json leaves them out). */
const TEST = "(\\.test\\.ts$|/test-support/)";

/**
 * Node's modules that reach outside the process (files, processes, network, the host) or into the
 * runtime itself, in both spellings: "node:fs" and "fs", and their subpaths ("fs/promises").
 * Pure ones (path, url, util, events, crypto's hashing…) are not in the list.
 */
const NODE_IO = `^(node:)?(${[
  "child_process",
  "cluster",
  "dgram",
  "dns",
  "fs",
  "http",
  "http2",
  "https",
  "inspector",
  "module",
  "net",
  "os",
  "process",
  "readline",
  "repl",
  "sqlite",
  "tls",
  "trace_events",
  "tty",
  "v8",
  "vm",
  "wasi",
  "worker_threads",
].join("|")})(/|$)`;

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    // --- The dependency graph as a whole -----------------------------------------------------
    {
      name: "no-circular",
      comment:
        "Circles are not allowed, type-only ones included: a circle means neither module can be " +
        "understood, tested or moved without the other. Move the shared piece (often a type) to a " +
        "module of its own that both import.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      comment:
        "Every import must resolve to a file or a package; one the tool cannot resolve would slip " +
        "past every other rule here.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "no-undeclared-package",
      comment:
        "Packages the code imports must be declared in package.json; one that is only there as " +
        "someone else's dependency can vanish on the next install.",
      severity: "error",
      from: {},
      to: { dependencyTypes: ["npm-no-pkg", "npm-unknown"] },
    },

    // --- Test code stays out of the shipped tree ---------------------------------------------
    {
      name: "no-test-code-in-build",
      comment:
        "Shipped source must not import test files or test-support/: tsconfig.build.json leaves " +
        "those out of dist/, so the import would either break the build or drag test code " +
        "(and vitest) into the package. Shared suites are *.case.test.ts; helpers go in test-support/.",
      severity: "error",
      from: { pathNot: TEST },
      to: { path: TEST },
    },
    {
      name: "no-dev-dependency-in-build",
      comment:
        "Shipped source must not import devDependencies (vitest, fast-check, …): they are not " +
        "installed with the package. Type-only imports are fine: they vanish when compiled.",
      severity: "error",
      from: { pathNot: TEST },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },

    // --- The bottom: core and scheduler stay pure --------------------------------------------
    {
      name: "core-imports-only-core",
      comment:
        "core/ is the shared vocabulary (resources, specs, errors, catalogs) everything builds on: " +
        "it imports nothing else from src/.",
      severity: "error",
      from: { path: "^src/core/", pathNot: TEST },
      to: { path: "^src/", pathNot: "^src/core/" },
    },
    {
      name: "scheduler-imports-only-scheduler-and-core",
      comment:
        "scheduler/ decides placements from a snapshot; it knows core/ and itself, never the " +
        "adapters, the loop or the apps that feed it. That keeps it simulable and testable alone.",
      severity: "error",
      from: { path: "^src/scheduler/", pathNot: TEST },
      to: { path: "^src/", pathNot: "^src/(scheduler|core)/" },
    },
    {
      name: "core-and-scheduler-without-node-io",
      comment:
        "core/ and scheduler/ do no I/O: no files, processes, network, OS or worker threads. " +
        "Pure functions of their input, so the simulator, the server and a future k8s controller " +
        "can all run them, and tests need no machine.",
      severity: "error",
      from: { path: "^src/(core|scheduler)/", pathNot: TEST },
      to: { dependencyTypes: ["core"], path: NODE_IO },
    },

    // --- The middle ------------------------------------------------------------------------------
    {
      name: "adapters-not-upward",
      comment:
        "The adapters (engines/, node/, store/) wrap one outside thing each (a container engine, " +
        "the GPUs and drivers, SQLite). They may use scheduler/ and core/, never the contract, the " +
        "loop, the simulator or an app above them.",
      severity: "error",
      from: { path: "^src/(engines|node|store)/", pathNot: TEST },
      to: { path: "^src/(api|agent|loop|sim|cli|server|k8s|bench|demo|e2e)/" },
    },
    {
      name: "contract-imports-only-core",
      comment:
        "api/ is the wire contract (zod schemas, views, OpenAPI) shared by the server and its " +
        "clients: it may import only core/, so a client can use it without pulling in the server.",
      severity: "error",
      from: { path: "^src/api/", pathNot: TEST },
      to: { path: "^src/", pathNot: "^src/(api|core)/" },
    },
    {
      name: "sim-drives-only-the-scheduler",
      comment:
        "sim/ replays traces through the scheduler offline: it may use scheduler/, core/ and the " +
        "node/ parsers, never the server, the loop, the store or the CLI.",
      severity: "error",
      from: { path: "^src/sim/", pathNot: TEST },
      to: { path: "^src/", pathNot: "^src/(sim|scheduler|core|node)/" },
    },
    {
      name: "loop-imports-only-scheduler-and-core",
      comment:
        "loop/ is the scheduling loop over the cluster port, shared by the standalone agent and the " +
        "Kubernetes scheduler: it may use scheduler/ and core/ only; each host implements the port.",
      severity: "error",
      from: { path: "^src/loop/", pathNot: TEST },
      to: { path: "^src/", pathNot: "^src/(loop|scheduler|core)/" },
    },
    {
      name: "agent-not-upward",
      comment:
        "agent/ (the standalone node agent: runner, reconcilers, the store's cluster port) is driven " +
        "by the apps; it never imports one (in particular never server/): what it needs is passed in.",
      severity: "error",
      from: { path: "^src/agent/", pathNot: TEST },
      to: { path: "^src/(cli|server|k8s|bench|demo|e2e)/" },
    },

    // --- The top ---------------------------------------------------------------------------------
    {
      name: "k8s-not-to-store-server-agent",
      comment:
        "k8s/ is a controller of its own on the Kubernetes API (cluster state lives in the API " +
        "server): it runs loop/ over its own port and must not reach into gpupool's store, server or agent.",
      severity: "error",
      from: { path: "^src/k8s/", pathNot: TEST },
      to: { path: "^src/(store|server|agent)/" },
    },
    {
      name: "cli-client-not-to-server",
      comment:
        "cli/client/ talks to a server over HTTP; what both sides share is the contract in api/, " +
        "not server/ internals.",
      severity: "error",
      from: { path: "^src/cli/client/", pathNot: TEST },
      to: { path: "^src/server/" },
    },
    {
      name: "no-import-of-cli",
      comment:
        "cli/ is the very top: nothing else imports it, tests included (server/ in particular " +
        "never does). Only bin/ (which runs dist/cli/main.js) and the end-to-end tests in e2e/, " +
        "which drive the CLI client against a server, sit above it.",
      severity: "error",
      from: { pathNot: "^src/(cli|e2e)/" },
      to: { path: "^src/cli/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Count `import type` arrows too (circles and layers are about coupling, not emitted code).
    tsPreCompilationDeps: true,
    // Resolves the TS ESM way (./x.js → ./x.ts) with the repo's compiler options.
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
  },
};
