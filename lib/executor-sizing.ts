import { Flavor } from './flavor';
import { invalid } from './private/errors';

/** The constants of the sizing model, in one place so the README table can cite them. */
export const SIZING = {
  /** Heap of the worker daemon itself (SPARK_DAEMON_MEMORY). */
  daemonMemoryMiB: 1024,
  /** Memory left to the OS, page cache and agents: the larger of these two. */
  osReserveMinMiB: 1024,
  osReserveFraction: 0.1,
  /** One vCPU is left to the OS and daemons on flavors with more than two. */
  reservedCoresAbove: 2,
  /** Executors get at most this many cores (more hurts GC and I/O throughput). */
  maxExecutorCores: 5,
  /** Spark's own default overhead: max(384 MiB, 10% of the executor heap). */
  overheadMinMiB: 384,
  overheadFraction: 0.1,
  /** Smallest executor heap the model accepts (Spark itself reserves 300 MiB of it). */
  minExecutorMemoryMiB: 1024,
} as const;

/** What one worker of a flavor offers Spark, and how its executors are cut. */
export interface WorkerSizing {
  /** SPARK_WORKER_CORES: vCPUs minus the reserve. */
  readonly workerCores: number;
  /** SPARK_WORKER_MEMORY: the executors' heaps (overhead stays outside, in the reserve). */
  readonly workerMemoryMiB: number;
  /** Executors of the default size that fit on one worker. */
  readonly executorsPerWorker: number;
  /** spark.executor.cores */
  readonly executorCores: number;
  /** spark.executor.memory (heap) */
  readonly executorMemoryMiB: number;
  /** spark.executor.memoryOverhead (off-heap, native, JVM overhead) */
  readonly executorOverheadMiB: number;
  /** vCPUs kept for the OS and daemons. */
  readonly reservedCores: number;
  /** MiB kept for the OS, page cache and the worker daemon. */
  readonly reservedMemoryMiB: number;
}

/** The executor defaults written to spark-defaults.conf for the whole cluster. */
export interface ExecutorDefaults {
  readonly executorCores: number;
  readonly executorMemoryMiB: number;
  readonly executorOverheadMiB: number;
}

function overheadFor(heapMiB: number): number {
  return Math.max(SIZING.overheadMinMiB, Math.ceil(heapMiB * SIZING.overheadFraction));
}

/**
 * Sizes a worker from its flavor:
 *
 * - reserved cores = 1 if vCPUs > 2, else 0; worker cores W = vCPUs - reserved
 * - reserved memory = max(1024, 10% of RAM) for the OS + 1024 for the worker daemon
 * - executors per worker n = ceil(W / 5), fewer when memory cannot give each one a 1 GiB
 *   heap plus overhead (at least 1); executor cores = min(5, floor(W / n))
 * - per executor P = floor((RAM - reserved) / n); heap = min(floor(P / 1.1), P - 384);
 *   overhead = max(384, ceil(heap / 10)), so heap + overhead <= P
 * - SPARK_WORKER_MEMORY = n x heap
 *
 * Throws (naming `where`) when the flavor cannot hold one executor of 1 GiB heap.
 */
export function sizeWorker(flavor: Flavor, where: string): WorkerSizing {
  const reservedCores = flavor.vcpus > SIZING.reservedCoresAbove ? 1 : 0;
  const workerCores = flavor.vcpus - reservedCores;
  const osReserve = Math.max(SIZING.osReserveMinMiB, Math.floor(flavor.ramMiB * SIZING.osReserveFraction));
  const reservedMemoryMiB = osReserve + SIZING.daemonMemoryMiB;
  const available = flavor.ramMiB - reservedMemoryMiB;
  const smallestExecutor = SIZING.minExecutorMemoryMiB + SIZING.overheadMinMiB;
  const executorsPerWorker = Math.max(
    1,
    Math.min(Math.ceil(workerCores / SIZING.maxExecutorCores), Math.floor(available / smallestExecutor)),
  );
  const executorCores = Math.min(SIZING.maxExecutorCores, Math.floor(workerCores / executorsPerWorker));
  const perExecutor = Math.floor(available / executorsPerWorker);
  const heap = Math.min(Math.floor(perExecutor / (1 + SIZING.overheadFraction)), perExecutor - SIZING.overheadMinMiB);
  if (heap < SIZING.minExecutorMemoryMiB) {
    const minimum = reservedMemoryMiB + smallestExecutor;
    throw invalid(
      where,
      `flavor ${flavor.name} (${flavor.vcpus} vCPU, ${flavor.ramMiB} MiB) is too small for a Spark worker`,
      flavor.ramMiB,
      `Use a flavor with at least ${minimum} MiB of RAM (${reservedMemoryMiB} MiB stay reserved for the OS and the worker daemon).`,
    );
  }
  return {
    workerCores,
    workerMemoryMiB: heap * executorsPerWorker,
    executorsPerWorker,
    executorCores,
    executorMemoryMiB: heap,
    executorOverheadMiB: overheadFor(heap),
    reservedCores,
    reservedMemoryMiB,
  };
}

/**
 * Executor defaults for a cluster whose pools have different flavors: the smallest cores and
 * heap of any pool, so a default-sized executor fits on every worker.
 */
export function clusterExecutorDefaults(sizings: readonly WorkerSizing[]): ExecutorDefaults {
  if (sizings.length === 0) {
    throw new Error('clusterExecutorDefaults needs at least one worker sizing');
  }
  const executorMemoryMiB = Math.min(...sizings.map((s) => s.executorMemoryMiB));
  return {
    executorCores: Math.min(...sizings.map((s) => s.executorCores)),
    executorMemoryMiB,
    executorOverheadMiB: overheadFor(executorMemoryMiB),
  };
}
