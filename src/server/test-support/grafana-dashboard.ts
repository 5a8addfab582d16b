import type { Dashboard, Panel } from "@grafana/schema";

/**
 * The source of deploy/grafana/gpupool.json, typed against Grafana's own dashboard model
 * (@grafana/schema), so `tsc` checks it; src/server/grafana.test.ts checks the JSON file is this,
 * and that every PromQL expression names a metric the server exports. Rewrite the file with
 * `npm run grafana:write`.
 */

const DS = { type: "prometheus", uid: "${DS_PROMETHEUS}" };

let nextId = 1;
function panel(
  type: string,
  title: string,
  grid: { x: number; y: number; w: number; h: number },
  targets: readonly { expr: string; legend?: string }[],
  extra: Partial<Panel> = {},
): Panel {
  return {
    id: nextId++,
    type,
    title,
    datasource: DS,
    gridPos: grid,
    targets: targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      expr: t.expr,
      ...(t.legend ? { legendFormat: t.legend } : {}),
    })),
    fieldConfig: { defaults: {}, overrides: [] },
    options: {},
    ...extra,
  };
}

export const gpupoolDashboard: Dashboard & { __inputs: unknown[] } = {
  __inputs: [
    {
      name: "DS_PROMETHEUS",
      label: "Prometheus",
      type: "datasource",
      pluginId: "prometheus",
      pluginName: "Prometheus",
    },
  ],
  title: "gpupool",
  uid: "gpupool-overview",
  description: "GPUs, slices, tenants and scheduling of one gpupool server (metrics: docs/metrics.md)",
  tags: ["gpupool", "gpu"],
  editable: true,
  schemaVersion: 39,
  version: 1,
  refresh: "10s",
  time: { from: "now-1h", to: "now" },
  timezone: "browser",
  templating: { list: [] },
  annotations: { list: [] },
  panels: [
    panel(
      "heatmap",
      "GPU map: compute held per GPU (%)",
      { x: 0, y: 0, w: 16, h: 8 },
      [{ expr: "gpupool_gpu_used_milli / 10", legend: "GPU {{gpu}} {{model}}" }],
      { options: { calculate: false, yAxis: { unit: "percent" } } },
    ),
    panel("stat", "GPU health (1 = takes work)", { x: 16, y: 0, w: 8, h: 8 }, [
      { expr: "gpupool_gpu_healthy", legend: "GPU {{gpu}}" },
    ]),
    panel("timeseries", "GPUs held per tenant", { x: 0, y: 8, w: 12, h: 8 }, [
      { expr: 'gpupool_tenant_quota_used{resource="gpu_milli"} / 1000', legend: "{{tenant}}" },
    ]),
    panel("bargauge", "GPU quota used per tenant (of its limit)", { x: 12, y: 8, w: 12, h: 8 }, [
      {
        expr: 'gpupool_tenant_quota_used{resource="gpu_milli"} / on (tenant, resource) gpupool_tenant_quota_limit{resource="gpu_milli"}',
        legend: "{{tenant}}",
      },
    ]),
    panel("timeseries", "Pending jobs per tenant", { x: 0, y: 16, w: 12, h: 8 }, [
      { expr: 'gpupool_tenant_jobs{state="Pending"}', legend: "{{tenant}}" },
      { expr: 'gpupool_jobs{state="Pending"}', legend: "all" },
    ]),
    panel("timeseries", "Scheduling cycle latency", { x: 12, y: 16, w: 12, h: 8 }, [
      {
        expr: "histogram_quantile(0.99, sum by (le) (rate(gpupool_scheduler_cycle_seconds_bucket[5m])))",
        legend: "p99",
      },
      {
        expr: "rate(gpupool_scheduler_cycle_seconds_sum[5m]) / rate(gpupool_scheduler_cycle_seconds_count[5m])",
        legend: "mean",
      },
    ]),
    panel("table", "Why jobs wait (pending jobs by reason)", { x: 0, y: 32, w: 24, h: 8 }, [
      { expr: "sum by (reason) (gpupool_pending_jobs)", legend: "{{reason}}" },
    ]),
    panel("timeseries", "Metered GPU-seconds per second", { x: 0, y: 24, w: 12, h: 8 }, [
      { expr: "rate(gpupool_metered_gpu_seconds[5m])", legend: "all tenants" },
    ]),
    panel("table", "GPU memory limit per job", { x: 12, y: 24, w: 12, h: 8 }, [
      {
        expr: "gpupool_job_gpu_memory_limit_bytes / 1024 / 1024 / 1024",
        legend: "{{job_name}} ({{tenant}}) GPU {{gpu}}",
      },
    ]),
  ],
};
