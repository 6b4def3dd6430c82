import * as http from 'http';
import { AddressInfo } from 'net';
import { OpenStackClient } from '../scripts/openstack-api';
import { findOrphans, stateResources } from '../scripts/recover';

// The real-cloud proof is in test/cloud/deploy.cloud.ts; this pins down what recover must
// never take for an orphan, against FakeNeutronAndNova, a loopback test double of both APIs.
describe('recover picks only servers an interrupted apply left behind', () => {
  const ports: Record<string, { device_id: string; device_owner: string }> = {
    'p-orphan': { device_id: 's-orphan', device_owner: 'compute:nova' },
    'p-known': { device_id: 's-known', device_owner: 'compute:nova' },
    'p-foreign-name': { device_id: 's-foreign', device_owner: 'compute:nova' },
    'p-untagged': { device_id: 's-untagged', device_owner: 'compute:nova' },
    'p-data-source': { device_id: 's-vip', device_owner: 'compute:nova' },
    'p-router': { device_id: 'r-1', device_owner: 'network:router_interface' },
  };
  const servers: Record<string, { name: string; metadata: Record<string, string> }> = {
    's-orphan': { name: 'analytics-general-4', metadata: { 'spark:role': 'worker' } },
    's-foreign': { name: 'someone-elses-vm', metadata: { 'spark:role': 'worker' } },
    's-untagged': { name: 'analytics-general-5', metadata: {} },
    's-vip': { name: 'vip-holder', metadata: { 'spark:role': 'worker' } },
  };

  it('ignores data-source ports, servers in the state, other names and untagged servers', async () => {
    const api = http.createServer((req, res) => {
      const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const port = /^\/network\/v2\.0\/ports\/(.+)$/.exec(req.url ?? '')?.[1];
      const server = /^\/compute\/servers\/(.+)$/.exec(req.url ?? '')?.[1];
      if (req.url === '/v3/auth/tokens') {
        const endpoint = (type: string) => ({
          type,
          endpoints: [{ interface: 'public', region: 'RegionOne', url: `${base}/${type}` }],
        });
        json(201, { token: { catalog: [endpoint('network'), endpoint('compute')] } }, { 'x-subject-token': 't' });
      } else if (port && ports[port]) json(200, { port: ports[port] });
      else if (server && servers[server]) json(200, { server: servers[server] });
      else json(404, {});
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const client = new OpenStackClient({
        authUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}/v3`,
        username: 'u',
        password: 'p',
        projectName: 'spark',
        regionName: 'RegionOne',
        interface: 'public',
      });
      const port = (key: string, name: string, mode = 'managed') => ({
        address: `openstack_networking_port_v2.pool_Ports["${key}"]`,
        mode,
        type: 'openstack_networking_port_v2',
        values: { id: key, name },
      });
      const resources = stateResources({
        resources: [
          port('p-known', 'analytics-general-1'),
          {
            address: 'openstack_compute_instance_v2.pool_Servers["general-1"]',
            mode: 'managed',
            type: 'openstack_compute_instance_v2',
            values: { id: 's-known' },
          },
          port('p-data-source', 'vip-holder', 'data'),
          port('p-router', ''),
        ],
        child_modules: [
          {
            resources: [
              port('p-orphan', 'analytics-general-4'),
              port('p-foreign-name', 'analytics-general-3'),
              port('p-untagged', 'analytics-general-5'),
              port('p-gone', 'analytics-general-6'),
            ],
          },
        ],
      });
      const orphans = await findOrphans(client, resources);
      expect(orphans).toEqual([
        {
          serverId: 's-orphan',
          serverName: 'analytics-general-4',
          portAddress: 'openstack_networking_port_v2.pool_Ports["p-orphan"]',
          portId: 'p-orphan',
        },
      ]);
    } finally {
      api.close();
    }
  });
});
