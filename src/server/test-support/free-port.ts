// One implementation, shipped with the benchmarks that need it too (bench/k8s-control-plane.ts).
export { freePort } from "../../bench/free-port.js";
