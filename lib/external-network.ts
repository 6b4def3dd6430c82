import { Construct } from 'constructs';
import { DataOpenstackNetworkingNetworkV2 } from '../.gen/providers/openstack/data-openstack-networking-network-v2';
import { invalid } from './private/errors';

/** The provider (external) network that routers and floating IPs come from. */
export class ExternalNetwork {
  /**
   * By name; its ID is looked up with a data source when a router needs it, so planning
   * needs cloud credentials.
   */
  static fromName(name: string): ExternalNetwork {
    if (!name.trim()) {
      throw invalid(
        'ExternalNetwork.fromName',
        'name must not be empty',
        name,
        'Use the name `openstack network list --external` shows.',
      );
    }
    return new ExternalNetwork(name, undefined);
  }

  /** By name and ID: no lookup, so `tofu plan` of new resources needs no cloud. */
  static fromAttributes(attrs: { readonly name: string; readonly id: string }): ExternalNetwork {
    if (!attrs.name.trim()) {
      throw invalid(
        'ExternalNetwork.fromAttributes',
        'name must not be empty',
        attrs.name,
        'Give the network name (used as the floating IP pool).',
      );
    }
    if (!/^[0-9a-fA-F-]{32,36}$/.test(attrs.id)) {
      throw invalid(
        'ExternalNetwork.fromAttributes',
        'id must be a network UUID',
        attrs.id,
        'Use the ID `openstack network list --external` shows.',
      );
    }
    return new ExternalNetwork(attrs.name, attrs.id);
  }

  private lookup?: DataOpenstackNetworkingNetworkV2;

  private constructor(
    /** The network's name, also the floating IP pool name. */
    readonly name: string,
    private readonly knownId: string | undefined,
  ) {}

  /** The network's ID: the given one, or a data-source lookup created once under `scope`. */
  idIn(scope: Construct): string {
    if (this.knownId) return this.knownId;
    this.lookup ??= new DataOpenstackNetworkingNetworkV2(scope, 'ExternalNetwork', { name: this.name, external: true });
    return this.lookup.id;
  }
}
