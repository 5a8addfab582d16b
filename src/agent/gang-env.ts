/**
 * Environment of one gang member, so torchrun, Horovod and NCCL find each other: every member of a
 * gang gets the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT and its own RANK. On one host every
 * member is local, so LOCAL_RANK = RANK and the node rank is 0.
 */
/** Gangs rendezvous on ports 29500-31499: a gang's own port unless it asked for one. */
export const GANG_PORT_BASE = 29_500;
export const GANG_PORT_SPAN = 2_000;

/**
 * The MASTER_PORT of a gang that did not choose one: stable for the gang (every member and every
 * restart agree) and spread over GANG_PORT_SPAN ports, since gangs share the host's network.
 */
export function gangPort(gangId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < gangId.length; i++) h = Math.imul(h ^ gangId.charCodeAt(i), 0x01000193) >>> 0;
  return GANG_PORT_BASE + (h % GANG_PORT_SPAN);
}

export function gangEnv(opts: {
  readonly rank: number;
  readonly worldSize: number;
  readonly masterAddr: string;
  readonly masterPort: number;
  readonly gangId: string;
}): Record<string, string> {
  const rank = String(opts.rank);
  const size = String(opts.worldSize);
  return {
    GPUPOOL_GANG_ID: opts.gangId,
    RANK: rank,
    WORLD_SIZE: size,
    LOCAL_RANK: rank,
    LOCAL_WORLD_SIZE: size,
    NODE_RANK: "0",
    GROUP_RANK: "0",
    MASTER_ADDR: opts.masterAddr,
    MASTER_PORT: String(opts.masterPort),
    HOROVOD_RANK: rank,
    HOROVOD_SIZE: size,
    HOROVOD_LOCAL_RANK: rank,
    HOROVOD_LOCAL_SIZE: size,
    NCCL_SOCKET_IFNAME: "lo",
    NCCL_IB_DISABLE: "1",
  };
}
