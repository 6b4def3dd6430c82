import { invalid } from './private/errors';

/** A Nova flavor's name and size. */
export interface FlavorSpec {
  /** The flavor's name in the cloud, e.g. `m1.large`. */
  readonly name: string;
  /** Virtual CPUs. */
  readonly vcpus: number;
  /** Memory in MiB (Nova's `ram`). */
  readonly ramMiB: number;
}

/**
 * A Nova flavor with its size given explicitly, so executor sizing happens at synth time
 * and `tofu plan` needs no cloud lookup. Copy the numbers from `openstack flavor show`.
 *
 * @example
 * Flavor.of({ name: 'm1.large', vcpus: 4, ramMiB: 8192 })
 */
export class Flavor {
  static of(spec: FlavorSpec): Flavor {
    const where = `Flavor.of(${JSON.stringify(spec.name)})`;
    if (!spec.name || /\s/.test(spec.name)) {
      throw invalid(
        where,
        'name must be a flavor name without spaces',
        spec.name,
        'Use the name `openstack flavor list` shows.',
      );
    }
    if (!Number.isInteger(spec.vcpus) || spec.vcpus < 1) {
      throw invalid(
        where,
        'vcpus must be a whole number >= 1',
        spec.vcpus,
        'Use the VCPUs `openstack flavor show` reports.',
      );
    }
    if (!Number.isInteger(spec.ramMiB) || spec.ramMiB < 1) {
      throw invalid(
        where,
        'ramMiB must be a whole number of MiB >= 1',
        spec.ramMiB,
        'Use the RAM (MiB) `openstack flavor show` reports.',
      );
    }
    return new Flavor(spec.name, spec.vcpus, spec.ramMiB);
  }

  private constructor(
    readonly name: string,
    readonly vcpus: number,
    readonly ramMiB: number,
  ) {}
}
