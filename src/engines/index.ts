export * from "./engine.js";
export { LABELS, jobLabels, instanceFilter } from "./labels.js";
export { PodmanEngine, type PodmanEngineOptions, type PodmanRuntimeService } from "./podman.js";
export { DockerEngine } from "./docker.js";
export {
  FakeEngine,
  type FakeEngineOptions,
  type FakeClock,
  type FaultOp,
  realClock,
  BUSYBOX_IMAGE,
} from "./fake.js";
export { detectEngine, type DetectOptions, type DetectedEngine, WELL_KNOWN_SOCKETS } from "./detect.js";
export {
  startPodmanService,
  RUNSC_RUNTIME,
  type RuntimeConfig,
  type PodmanService,
} from "./podman-service.js";
export {
  type Isolation,
  type IsolationRuntimes,
  DEFAULT_ISOLATION_RUNTIMES,
  configuredRuntimes,
  runtimeForIsolation,
} from "./isolation.js";
