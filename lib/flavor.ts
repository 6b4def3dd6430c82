import { ref, Token } from 'cdktf';
import { Construct } from 'constructs';
import { DataOpenstackComputeFlavorV2 } from '../.gen/providers/openstack/data-openstack-compute-flavor-v2';
import { flavorFitsCondition, SIZING } from './executor-sizing';
import { hasControlCharacters, invalid } from './private/errors';
import { requireObject } from './private/inputs';

/** The largest vcpus or ram Nova's flavor API accepts (a 32-bit integer). */
const NOVA_INT_MAX = 2147483647;

/** Nova flavor names: one word (no spaces, no control characters), at most 255 characters. */
function isFlavorName(name: unknown): name is string {
  return (
    typeof name === 'string' && name.length > 0 && name.length <= 255 && !/\s/.test(name) && !hasControlCharacters(name)
  );
}

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
    requireObject(`${scope.node.path}/${id}`, 'options', options, "Pass { name: 'm1.large' }.");
    if (!isFlavorName(options.name)) {
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
    requireObject('Flavor.of', 'spec', spec, "Pass { name: 'm1.large', vcpus: 4, ramMiB: 8192 }.");
    const where = `Flavor.of(${JSON.stringify(spec.name) ?? String(spec.name)})`;
    if (!isFlavorName(spec.name)) {
      throw invalid(
        where,
        'name must be a flavor name without spaces',
        spec.name,
        'Use the name `openstack flavor list` shows.',
      );
    }
    if (!Number.isInteger(spec.vcpus) || spec.vcpus < 1 || spec.vcpus > NOVA_INT_MAX) {
      throw invalid(
        where,
        `vcpus must be a whole number from 1 to ${NOVA_INT_MAX}`,
        spec.vcpus,
        'Use the VCPUs `openstack flavor show` reports.',
      );
    }
    if (!Number.isInteger(spec.ramMiB) || spec.ramMiB < 1 || spec.ramMiB > NOVA_INT_MAX) {
      throw invalid(
        where,
        `ramMiB must be a whole number of MiB from 1 to ${NOVA_INT_MAX}`,
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
