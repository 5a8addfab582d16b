/**
 * Environment of one gang member, so torchrun, Horovod and NCCL find each other: every member of a
 * gang gets the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT and its own RANK. On one host every
 * member is local, so LOCAL_RANK = RANK and the node rank is 0.
 */
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
