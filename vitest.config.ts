import { configDefaults, defineConfig } from "vitest/config";

// The machines have 2 cores: keep the worker pool small so engine and server tests do not starve.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // A *.case.test.ts file is a shared suite parameterised by a factory (e.g. the engine
    // conformance suite): the real test files import it and call it once per adapter. It registers
    // nothing on its own, so it is not run as a file of its own.
    exclude: [...configDefaults.exclude, "**/*.case.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
