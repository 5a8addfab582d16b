export { openDatabase, inTransaction, mapSqliteError, onCommit } from "./db.js";
export { ChangeFeed, type ChangeListener, type StoreChange } from "./change-feed.js";
export { MIGRATIONS, migrate, type Migration } from "./migrations.js";
export * from "./job-states.js";
export {
  JobRepo,
  canonicalJson,
  type JobRecord,
  type NewJob,
  type JobEvent,
  type JobFilter,
  type PendingHead,
  type JobSpecJson,
  type TransitionOptions,
} from "./jobs.js";
export { JobNames, type JobRef } from "./job-names.js";
export { TenantRepo, tenantQueueSpec, type Tenant, type TenantQuotas } from "./tenants.js";
export { TokenRepo, hashToken, type ApiToken } from "./tokens.js";
export { UsageRepo, usageOf, type Usage, type JobUsageRow } from "./usage.js";
export { WorkloadRepo, type WorkloadRecord, type OwnedJob } from "./workloads.js";
export { type WorkloadKind, WORKLOAD_ID_PREFIX, ownerKind } from "./workload-ids.js";
export { Store, TenantView, STORE_FILE, type StoreOptions } from "./store.js";
export { acquireInstanceLock, LOCK_FILE, type InstanceLock } from "./instance-lock.js";
export { backupStore, restoreStore, type BackupResult, type RestoreResult } from "./backup.js";
export { STORE_MARKER } from "./store-guard.js";
