import { ref, Token } from 'cdktf';
import { Construct } from 'constructs';
import { DataOpenstackComputeFlavorV2 } from '../.gen/providers/openstack/data-openstack-compute-flavor-v2';
import { flavorFitsCondition, SIZING } from './executor-sizing';
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
 * A Nova flavor. Give its size explicitly (`Flavor.of`): executor sizing happens at synth
 * time and `tofu plan` needs no cloud. Or look it up (`Flavor.fromLookup`): the sizes
 * become Terraform expressions over the flavor data source, evaluated at plan time.
 *
 * @example
 * Flavor.of({ name: 'm1.large', vcpus: 4, ramMiB: 8192 })
 * Flavor.fromLookup(stack, 'Large', { name: 'm1.large' })
 */
export class Flavor {
  /**
   * Looks the flavor up with the `openstack_compute_flavor_v2` data source (planning then
   * needs cloud credentials). A postcondition stops the plan when the flavor is too small
   * for a Spark worker.
   */
  static fromLookup(scope: Construct, id: string, options: { readonly name: string }): Flavor {
    if (!options.name || /\s/.test(options.name)) {
      throw invalid(
        `${scope.node.path}/${id}`,
        'name must be a flavor name without spaces',
        options.name,
        'Use the name `openstack flavor list` shows.',
      );
    }
    const minimum =
      SIZING.osReserveMinMiB + SIZING.daemonMemoryMiB + SIZING.minExecutorMemoryMiB + SIZING.overheadMinMiB;
    const data = new DataOpenstackComputeFlavorV2(scope, id, {
      name: options.name,
      lifecycle: {
        postcondition: [
          {
            condition: flavorFitsCondition(Token.asNumber(ref('self.vcpus')), Token.asNumber(ref('self.ram'))),
            errorMessage: `Flavor ${options.name} is too small for a Spark worker: it needs at least ${minimum} MiB of RAM.`,
          },
        ],
      },
    });
    return new Flavor(options.name, data.vcpus, data.ram);
  }

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
