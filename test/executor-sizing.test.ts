import { clusterExecutorDefaults, Flavor, sizeWorker, SIZING } from '../lib';

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
    expect(() => Flavor.of({ name: 'm1', vcpus: 0, ramMiB: 4096 })).toThrow(/vcpus must be a whole number >= 1, got 0/);
    expect(() => Flavor.of({ name: 'm1', vcpus: 2, ramMiB: -1 })).toThrow(
      /ramMiB must be a whole number of MiB >= 1, got -1/,
    );
    expect(() => Flavor.of({ name: 'm 1', vcpus: 2, ramMiB: 4096 })).toThrow(
      /name must be a flavor name without spaces/,
    );
  });
});
