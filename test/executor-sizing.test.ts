import { Fn, TerraformLocal, TerraformStack, Testing, Token } from 'cdktf';
import { Construct } from 'constructs';
import { clusterExecutorDefaults, Flavor, sizeWorker, SIZING } from '../lib';
import { Tofu } from '../scripts/tofu';
import { synthStackDir } from './support/harness';

const flavor = (vcpus: number, ramMiB: number) => Flavor.of({ name: `f${vcpus}x${ramMiB}`, vcpus, ramMiB });

describe('executor sizing', () => {
  // Each case computed by hand from the formula in the README.
  it.each([
    // vcpus, ram, workerCores, workerMemory, executors, cores, heap, overhead
    [4, 8192, 3, 5585, 1, 3, 5585, 559],
    [8, 16384, 7, 12474, 2, 3, 6237, 624],
    [8, 65536, 7, 52688, 2, 3, 26344, 2635],
    [16, 65536, 15, 52686, 3, 5, 17562, 1757],
    [2, 4096, 2, 1664, 1, 2, 1664, 384],
    [2, 3456, 2, 1024, 1, 2, 1024, 384],
  ])('sizes a %i vCPU / %i MiB worker', (vcpus, ram, workerCores, workerMemory, executors, cores, heap, overhead) => {
    expect(sizeWorker(flavor(vcpus, ram), 'test')).toEqual(
      expect.objectContaining({
        workerCores,
        workerMemoryMiB: workerMemory,
        executorsPerWorker: executors,
        executorCores: cores,
        executorMemoryMiB: heap,
        executorOverheadMiB: overhead,
      }),
    );
  });

  it('runs fewer, larger executors when memory is short for one per five cores', () => {
    // 7 worker cores would make two executors, but 2048 MiB hold only one of >= 1 GiB heap.
    expect(sizeWorker(flavor(8, 4096), 'test')).toEqual(
      expect.objectContaining({
        executorsPerWorker: 1,
        executorCores: 5,
        executorMemoryMiB: 1664,
        executorOverheadMiB: 384,
      }),
    );
  });

  it('keeps one vCPU for the OS only on flavors with more than two', () => {
    expect(sizeWorker(flavor(2, 8192), 'test').reservedCores).toBe(0);
    expect(sizeWorker(flavor(3, 8192), 'test').reservedCores).toBe(1);
  });

  it('throws on a flavor too small for one executor, naming the flavor and the minimum', () => {
    expect(() => sizeWorker(Flavor.of({ name: 'm1.small', vcpus: 1, ramMiB: 2048 }), 'analytics/Workers/tiny')).toThrow(
      'analytics/Workers/tiny: flavor m1.small (1 vCPU, 2048 MiB) is too small for a Spark worker, got 2048. ' +
        'Use a flavor with at least 3456 MiB of RAM (2048 MiB stay reserved for the OS and the worker daemon).',
    );
    expect(() => sizeWorker(flavor(2, 3455), 'x')).toThrow(/too small/);
  });

  it('never promises more than the flavor has', () => {
    for (let vcpus = 1; vcpus <= 64; vcpus += 3) {
      for (let ram = 3456; ram <= 262144; ram = Math.round(ram * 1.7)) {
        const s = sizeWorker(flavor(vcpus, ram), 'x');
        expect(s.executorsPerWorker * s.executorCores).toBeLessThanOrEqual(s.workerCores);
        expect(s.executorCores).toBeLessThanOrEqual(SIZING.maxExecutorCores);
        expect(
          s.executorsPerWorker * (s.executorMemoryMiB + s.executorOverheadMiB) + s.reservedMemoryMiB,
        ).toBeLessThanOrEqual(ram);
        expect(s.executorMemoryMiB).toBeGreaterThanOrEqual(SIZING.minExecutorMemoryMiB);
      }
    }
  });

  it('gives a mixed cluster executor defaults that fit the smallest pool', () => {
    const small = sizeWorker(flavor(4, 8192), 'x');
    const big = sizeWorker(flavor(16, 65536), 'x');
    expect(clusterExecutorDefaults([big, small])).toEqual({
      executorCores: 3,
      executorMemoryMiB: 5585,
      executorOverheadMiB: 559,
    });
  });

  it('rejects flavor specs that are not whole positive numbers', () => {
    expect(() => Flavor.of({ name: 'm1', vcpus: 0, ramMiB: 4096 })).toThrow(
      /vcpus must be a whole number from 1 to 2147483647, got 0/,
    );
    expect(() => Flavor.of({ name: 'm1', vcpus: 2, ramMiB: -1 })).toThrow(
      /ramMiB must be a whole number of MiB from 1 to 2147483647, got -1/,
    );
    expect(() => Flavor.of({ name: 'm 1', vcpus: 2, ramMiB: 4096 })).toThrow(
      /name must be a flavor name without spaces/,
    );
  });
});

describe('executor sizing of looked-up flavors', () => {
  it('computes the same numbers as Terraform expressions, evaluated by the real tofu console', () => {
    const cases: [number, number][] = [
      [1, 3456],
      [2, 4096],
      [4, 8192],
      [8, 4096],
      [8, 16384],
      [8, 65536],
      [16, 65536],
      [32, 131072],
      [7, 30000],
      [64, 524288],
    ];
    const fields = [
      'workerCores',
      'workerMemoryMiB',
      'executorsPerWorker',
      'executorCores',
      'executorMemoryMiB',
      'executorOverheadMiB',
    ] as const;
    const stack = new TerraformStack(Testing.app(), 'sizing');
    // abs(n) turns each literal into an expression, so the sizing is built from Terraform
    // operators, with its intermediate values as locals (as a worker pool does).
    const asExpression = (n: number) => Token.asNumber(Fn.abs(n));
    const expressions = cases.flatMap(([vcpus, ram], i) => {
      const sizing = sizeWorker(
        { name: 'lookup', vcpus: asExpression(vcpus), ramMiB: asExpression(ram) },
        'test',
        new Construct(stack, `Case${i}`),
      );
      return fields.map((f) => sizing[f]);
    });
    new TerraformLocal(stack, 'sizes', expressions);
    const dir = synthStackDir(stack);
    const printed = new Tofu(dir).run(['console'], 'jsonencode(local.sizes)\n');
    // tofu console prints the JSON text as a quoted HCL string.
    const values = JSON.parse(JSON.parse(printed.trim()));
    const expected = cases.flatMap(([vcpus, ram]) => {
      const sizing = sizeWorker(flavor(vcpus, ram), 'test');
      return fields.map((f) => sizing[f]);
    });
    expect(values).toEqual(expected);
  });

  it('looks the flavor up with a data source whose postcondition refuses flavors too small for Spark', () => {
    const stack = new TerraformStack(Testing.app(), 'lookup');
    const large = Flavor.fromLookup(stack, 'Large', { name: 'm1.large' });
    const sizing = sizeWorker(large, 'test');
    expect(Token.isUnresolved(sizing.workerMemoryMiB)).toBe(true);
    const data = JSON.parse(Testing.synth(stack)).data.openstack_compute_flavor_v2.Large;
    expect(data.name).toBe('m1.large');
    expect(data.lifecycle.postcondition).toEqual([
      {
        condition: '${((self.vcpus >= 1) && ((self.ram - (max(1024, floor((self.ram / 10))) + 1024)) >= 1408))}',
        error_message: 'Flavor m1.large is too small for a Spark worker: it needs at least 3456 MiB of RAM.',
      },
    ]);
  });
});
