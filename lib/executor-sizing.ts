import { Fn, Op, TerraformLocal, Token } from 'cdktf';
import { Construct } from 'constructs';
import type { FlavorSpec } from './flavor';
import { invalid } from './private/errors';

/** The constants of the sizing model, in one place so the README table can cite them. */
export const SIZING = {
  /** Heap of the worker daemon itself (SPARK_DAEMON_MEMORY). */
  daemonMemoryMiB: 1024,
  /** Memory left to the OS, page cache and agents: the larger of 1024 MiB and RAM / 10. */
  osReserveMinMiB: 1024,
  osReserveDivisor: 10,
  /** One vCPU is left to the OS and daemons on flavors with more than two. */
  reservedCoresAbove: 2,
  /** Executors get at most this many cores (more hurts GC and I/O throughput). */
  maxExecutorCores: 5,
  /** Spark's own default overhead: max(384 MiB, heap / 10). */
  overheadMinMiB: 384,
  overheadDivisor: 10,
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

/**
 * Arithmetic the sizing formula is written against, so that one formula serves flavors
 * given explicitly (plain numbers, sized at synth time) and flavors looked up in the cloud
 * (Terraform expressions, sized at plan time). Only integer-exact steps are used (no
 * division by 1.1), so both evaluate to the same numbers.
 */
interface Arithmetic {
  sub(a: number, b: number): number;
  add(a: number, b: number): number;
  mul(a: number, b: number): number;
  /** floor(a / b) */
  floorDiv(a: number, b: number): number;
  /** ceil(a / b) */
  ceilDiv(a: number, b: number): number;
  min(...xs: number[]): number;
  max(...xs: number[]): number;
  /** Names an intermediate value: a Terraform local, so expressions do not repeat it inline. */
  name(id: string, value: number): number;
}

const NUMBERS: Arithmetic = {
  sub: (a, b) => a - b,
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  floorDiv: (a, b) => Math.floor(a / b),
  ceilDiv: (a, b) => Math.ceil(a / b),
  min: (...xs) => Math.min(...xs),
  max: (...xs) => Math.max(...xs),
  name: (_id, value) => value,
};

/** Terraform expressions; with a scope, intermediate values become locals under it. */
function terraformArithmetic(scope?: Construct): Arithmetic {
  return {
    sub: (a, b) => Op.sub(a, b),
    add: (a, b) => Op.add(a, b),
    mul: (a, b) => Op.mul(a, b),
    floorDiv: (a, b) => Fn.floor(Op.div(a, b)),
    ceilDiv: (a, b) => Fn.ceil(Op.div(a, b)),
    min: (...xs) => Fn.min(xs),
    max: (...xs) => Fn.max(xs),
    name: (id, value) => (scope ? new TerraformLocal(scope, id, value).asNumber : value),
  };
}

function arithmeticFor(values: number[], scope?: Construct): Arithmetic {
  return values.some((v) => Token.isUnresolved(v)) ? terraformArithmetic(scope) : NUMBERS;
}

function overheadFor(m: Arithmetic, heapMiB: number): number {
  return m.max(SIZING.overheadMinMiB, m.ceilDiv(heapMiB, SIZING.overheadDivisor));
}

/** The sizing formula (see sizeWorker), for plain numbers or Terraform expressions. */
function computeSizing(m: Arithmetic, vcpus: number, ramMiB: number): WorkerSizing & { availableMiB: number } {
  const reservedCores = m.name('ReservedCores', m.min(1, m.max(0, m.sub(vcpus, SIZING.reservedCoresAbove))));
  const workerCores = m.name('WorkerCores', m.sub(vcpus, reservedCores));
  const osReserve = m.max(SIZING.osReserveMinMiB, m.floorDiv(ramMiB, SIZING.osReserveDivisor));
  const reservedMemoryMiB = m.name('ReservedMemory', m.add(osReserve, SIZING.daemonMemoryMiB));
  const availableMiB = m.name('AvailableMemory', m.sub(ramMiB, reservedMemoryMiB));
  const executorsPerWorker = m.name(
    'ExecutorsPerWorker',
    m.max(1, m.min(m.ceilDiv(workerCores, SIZING.maxExecutorCores), m.floorDiv(availableMiB, SMALLEST_EXECUTOR_MIB))),
  );
  const executorCores = m.name(
    'ExecutorCores',
    m.min(SIZING.maxExecutorCores, m.floorDiv(workerCores, executorsPerWorker)),
  );
  const perExecutor = m.name('PerExecutorMemory', m.floorDiv(availableMiB, executorsPerWorker));
  // The largest heap with heap + max(384, ceil(heap / 10)) <= perExecutor.
  const d = SIZING.overheadDivisor;
  const heap = m.name(
    'ExecutorMemory',
    m.min(m.floorDiv(m.mul(perExecutor, d), d + 1), m.sub(perExecutor, SIZING.overheadMinMiB)),
  );
  return {
    workerCores,
    workerMemoryMiB: m.name('WorkerMemory', m.mul(heap, executorsPerWorker)),
    executorsPerWorker,
    executorCores,
    executorMemoryMiB: heap,
    executorOverheadMiB: m.name('ExecutorOverhead', overheadFor(m, heap)),
    reservedCores,
    reservedMemoryMiB,
    availableMiB,
  };
}

/** The smallest executor the model accepts, heap plus minimum overhead. */
const SMALLEST_EXECUTOR_MIB = SIZING.minExecutorMemoryMiB + SIZING.overheadMinMiB;

/**
 * Sizes a worker from its flavor:
 *
 * - reserved cores = 1 if vCPUs > 2, else 0; worker cores W = vCPUs - reserved
 * - reserved memory = max(1024, floor(RAM / 10)) for the OS + 1024 for the worker daemon
 * - executors per worker n = ceil(W / 5), fewer when memory cannot give each one a 1 GiB
 *   heap plus overhead (at least 1); executor cores = min(5, floor(W / n))
 * - per executor P = floor((RAM - reserved) / n); heap = min(floor(10 P / 11), P - 384);
 *   overhead = max(384, ceil(heap / 10)), so heap + overhead <= P
 * - SPARK_WORKER_MEMORY = n x heap
 *
 * For a flavor given with its size, throws (naming `where`) when it cannot hold one executor
 * of 1 GiB heap. For a flavor looked up in the cloud the numbers are Terraform expressions
 * (intermediate values as locals under `scope`, when given), and the lookup's postcondition
 * makes the same check at plan time.
 */
export function sizeWorker(flavor: FlavorSpec, where: string, scope?: Construct): WorkerSizing {
  const m = arithmeticFor([flavor.vcpus, flavor.ramMiB], scope);
  const { availableMiB, ...sizing } = computeSizing(m, flavor.vcpus, flavor.ramMiB);
  if (m === NUMBERS && availableMiB < SMALLEST_EXECUTOR_MIB) {
    throw invalid(
      where,
      `flavor ${flavor.name} (${flavor.vcpus} vCPU, ${flavor.ramMiB} MiB) is too small for a Spark worker`,
      flavor.ramMiB,
      `Use a flavor with at least ${sizing.reservedMemoryMiB + SMALLEST_EXECUTOR_MIB} MiB of RAM ` +
        `(${sizing.reservedMemoryMiB} MiB stay reserved for the OS and the worker daemon).`,
    );
  }
  return sizing;
}

/**
 * The Terraform condition a looked-up flavor must meet to hold one executor (the same
 * check sizeWorker makes at synth time for explicit flavors). @internal
 */
export function flavorFitsCondition(vcpus: number, ramMiB: number): unknown {
  const { availableMiB } = computeSizing(terraformArithmetic(), vcpus, ramMiB);
  return Op.and(Op.gte(vcpus, 1), Op.gte(availableMiB, SMALLEST_EXECUTOR_MIB));
}

/**
 * Executor defaults for a cluster whose pools have different flavors: the smallest cores and
 * heap of any pool, so a default-sized executor fits on every worker.
 */
export function clusterExecutorDefaults(sizings: readonly WorkerSizing[]): ExecutorDefaults {
  if (sizings.length === 0) {
    throw new Error('clusterExecutorDefaults needs at least one worker sizing');
  }
  const memories = sizings.map((s) => s.executorMemoryMiB);
  const cores = sizings.map((s) => s.executorCores);
  const m = arithmeticFor([...memories, ...cores]);
  const executorMemoryMiB = m.min(...memories);
  return {
    executorCores: m.min(...cores),
    executorMemoryMiB,
    executorOverheadMiB: overheadFor(m, executorMemoryMiB),
  };
}
