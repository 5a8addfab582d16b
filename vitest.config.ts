import { defineConfig } from "vitest/config";

// The machines have 2 cores: keep the worker pool small so engine and server tests do not starve.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
