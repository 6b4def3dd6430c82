import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { DataOpenstackNetworkingNetworkV2 } from '../.gen/providers/openstack/data-openstack-networking-network-v2';
import { invalid } from './private/errors';
import { checkCloudName, requireObject } from './private/inputs';

/** The provider (external) network that routers and floating IPs come from. */
export class ExternalNetwork {
  /**
   * By name; its ID is looked up with a data source when a router needs it, so planning
   * needs cloud credentials.
   */
  static fromName(name: string): ExternalNetwork {
    checkCloudName('ExternalNetwork.fromName', 'name', name, 'Use the name `openstack network list --external` shows.');
    return new ExternalNetwork(name, undefined);
  }

  /** By name and ID: no lookup, so `tofu plan` of new resources needs no cloud. */
  static fromAttributes(attrs: { readonly name: string; readonly id: string }): ExternalNetwork {
    requireObject('ExternalNetwork.fromAttributes', 'attrs', attrs, 'Pass { name, id }.');
    checkCloudName(
      'ExternalNetwork.fromAttributes',
      'name',
      attrs.name,
      'Give the network name (used as the floating IP pool).',
    );
    if (typeof attrs.id !== 'string' || !/^[0-9a-fA-F-]{32,36}$/.test(attrs.id)) {
      throw invalid(
        'ExternalNetwork.fromAttributes',
        'id must be a network UUID',
        attrs.id,
        'Use the ID `openstack network list --external` shows.',
      );
    }
    return new ExternalNetwork(attrs.name, attrs.id);
  }

  /** One lookup per stack: a data source of another stack would be read through its state. */
  private readonly lookups = new Map<TerraformStack, DataOpenstackNetworkingNetworkV2>();

  private constructor(
    /** The network's name, also the floating IP pool name. */
    readonly name: string,
    private readonly knownId: string | undefined,
  ) {}

  /**
   * The network's ID: the given one, or a data-source lookup created under `scope` the first
   * time a stack asks (so each stack that uses the network has its own).
   */
  idIn(scope: Construct): string {
    if (this.knownId) return this.knownId;
    const stack = TerraformStack.of(scope);
    let lookup = this.lookups.get(stack);
    if (!lookup) {
      lookup = new DataOpenstackNetworkingNetworkV2(scope, 'ExternalNetwork', { name: this.name, external: true });
      this.lookups.set(stack, lookup);
    }
    return lookup.id;
  }
}
