/**
 * The worker sizes a node computes at boot (lib/assets/worker-sizing.sh, run here by the real
 * shell) against the synth-time formula (lib/executor-sizing.ts): they must agree on every
 * flavor, so that a worker sized at boot advertises what the plan promised.
 */
import { spawnSync } from 'child_process';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Flavor, sizeWorker } from '../lib';

const SCRIPT = path.join(__dirname, '..', 'lib', 'assets', 'worker-sizing.sh');

/** Runs `body` in POSIX sh (dash) with worker-sizing.sh sourced; returns its stdout lines. */
function sh(body: string, env: NodeJS.ProcessEnv = {}): string[] {
  const result = spawnSync('sh', ['-c', `. "${SCRIPT}"\n${body}`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`sh exited ${result.status}: ${result.stderr}`);
  return result.stdout.trim().split('\n');
}

/** The shell's sizing of each (vcpus, ram) pair, or 'too small'. */
function shellSizing(flavors: [number, number][]): string[] {
  const calls = flavors.map(([v, r]) => `spark_worker_sizing ${v} ${r} || echo 'too small'`).join('\n');
  return sh(calls);
}

function tsSizing(vcpus: number, ramMiB: number): string {
  try {
    const s = sizeWorker(Flavor.of({ name: 'f', vcpus, ramMiB }), 'test');
    return [
      s.workerCores,
      s.workerMemoryMiB,
      s.executorsPerWorker,
      s.executorCores,
      s.executorMemoryMiB,
      s.executorOverheadMiB,
      s.reservedCores,
      s.reservedMemoryMiB,
    ].join(' ');
  } catch {
    return 'too small';
  }
}

describe('worker sizing at boot', () => {
  it('gives the same numbers as the synth-time formula on a grid of flavors, too-small ones included', () => {
    const vcpus = [1, 2, 3, 4, 5, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128];
    const rams = [1024, 2048, 3000, 3455, 3456, 3457, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536];
    const more = [98304, 131072, 196608, 262144, 524288, 1048576];
    const flavors = vcpus.flatMap((v) => [...rams, ...more].map((r) => [v, r] as [number, number]));
    const shell = shellSizing(flavors);
    expect(shell).toHaveLength(flavors.length);
    expect(flavors.map(([v, r], i) => `${v}/${r}: ${shell[i]}`)).toEqual(
      flavors.map(([v, r]) => `${v}/${r}: ${tsSizing(v, r)}`),
    );
    // The grid holds both kinds, so neither side can pass by always refusing.
    expect(shell.filter((s) => s === 'too small').length).toBeGreaterThan(10);
    expect(shell.filter((s) => s !== 'too small').length).toBeGreaterThan(200);
  });

  it('gives the same numbers on random flavors', () => {
    const flavors = fc.sample(fc.tuple(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 512, max: 2_097_152 })), {
      numRuns: 400,
      seed: 14,
    });
    const shell = shellSizing(flavors);
    expect(flavors.map(([v, r], i) => `${v}/${r}: ${shell[i]}`)).toEqual(
      flavors.map(([v, r]) => `${v}/${r}: ${tsSizing(v, r)}`),
    );
  });

  describe("a node's hardware", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-sizing-'));
    const meminfo = (mib: number) => {
      const file = path.join(dir, `meminfo-${mib}`);
      fs.writeFileSync(file, `MemTotal:       ${mib * 1024} kB\nMemFree:         1000 kB\n`);
      return file;
    };
    const hardware = (vcpus: number) => {
      const file = path.join(dir, `hw-${vcpus}`);
      fs.writeFileSync(file, `NODE_VCPUS=${vcpus}\n`);
      return file;
    };
    const env = (mib: number, vcpus: number) => ({ SPARK_MEMINFO: meminfo(mib), SPARK_NODE_HARDWARE: hardware(vcpus) });

    it("is the flavor's while the node looks like it (the kernel keeps some RAM for itself)", () => {
      expect(sh('spark_node_hardware 8 16384', env(15_990, 8))).toEqual(['8 16384']);
      expect(sh('spark_worker_env 8 16384; echo "$SPARK_WORKER_CORES $SPARK_WORKER_MEMORY"', env(15_990, 8))).toEqual([
        '7 12474m',
      ]);
    });

    it('is what the node has once it was resized, so the worker follows its new flavor', () => {
      // Resized from m1.xlarge (8 vCPU, 16 GiB) to 16 vCPU, 32 GiB: the kernel sees 31,900 MiB.
      expect(sh('spark_node_hardware 8 16384', env(31_900, 16))).toEqual(['16 31900']);
      expect(sh('spark_worker_env 8 16384; echo "$SPARK_WORKER_CORES $SPARK_WORKER_MEMORY"', env(31_900, 16))).toEqual([
        `15 ${tsSizing(16, 31_900).split(' ')[1]}m`,
      ]);
      // Same vCPUs, RAM cut to 8 GiB: sized from the RAM it has.
      expect(sh('spark_node_hardware 8 16384', env(7_900, 8))).toEqual(['8 7900']);
    });

    it("falls back to the flavor's sizing on a node too small for one executor, and says so", () => {
      const result = spawnSync(
        'sh',
        ['-c', `. "${SCRIPT}"\nspark_worker_env 8 16384; echo "$SPARK_WORKER_CORES $SPARK_WORKER_MEMORY"`],
        { encoding: 'utf8', env: { PATH: process.env.PATH, ...env(2_000, 1) } },
      );
      expect(result.stdout.trim()).toBe('7 12474m');
      expect(result.stderr).toContain('this node (1 vCPU, 2000 MiB) cannot hold one executor');
    });
  });
});
