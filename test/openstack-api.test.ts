import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { authFromEnvironment, NovaClient, tokenRequest } from '../scripts/openstack-api';

describe('the OpenStack API as the rollout reads it', () => {
  it("takes the deploying user's credentials from clouds.yaml, with OS_* variables winning", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clouds-'));
    const file = path.join(dir, 'clouds.yaml');
    fs.writeFileSync(
      file,
      [
        'clouds:',
        '  mycloud:',
        '    region_name: RegionTwo',
        '    auth:',
        '      auth_url: https://keystone.example.com:5000/v3',
        '      username: ops',
        '      password: from-file',
        '      project_name: spark',
        '      user_domain_name: Default',
        '      project_domain_name: Default',
      ].join('\n'),
    );
    const auth = authFromEnvironment({ OS_CLOUD: 'mycloud', OS_PASSWORD: 'from-env' }, [file]);
    expect(auth).toMatchObject({
      authUrl: 'https://keystone.example.com:5000/v3',
      username: 'ops',
      password: 'from-env',
      projectName: 'spark',
      regionName: 'RegionTwo',
      interface: 'public',
    });
    expect(tokenRequest(auth)).toEqual({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'ops', password: 'from-env', domain: { name: 'Default' } } },
        },
        scope: { project: { name: 'spark', domain: { name: 'Default' } } },
      },
    });
    expect(() => authFromEnvironment({ OS_CLOUD: 'other' }, [file])).toThrow(`no cloud 'other' in ${file}`);
    expect(() => authFromEnvironment({}, [])).toThrow(/no OpenStack credentials/);
  });

  it('reads a server status from Nova with a Keystone token (against a loopback test double of both)', async () => {
    // FakeKeystoneAndNova: answers the two requests the client makes; no real cloud.
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-auth-token'] ?? ''}`);
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      if (req.method === 'POST' && req.url === '/v3/auth/tokens') {
        res.writeHead(201, { 'x-subject-token': 'tok-1', 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            token: {
              catalog: [
                {
                  type: 'compute',
                  endpoints: [{ interface: 'public', region: 'RegionOne', url: `${base}/compute/v2.1/` }],
                },
              ],
            },
          }),
        );
      } else if (req.url === '/compute/v2.1/servers/abc') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ server: { id: 'abc', status: 'ACTIVE' } }));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const nova = new NovaClient({
        authUrl: `http://127.0.0.1:${port}/v3`,
        username: 'ops',
        password: 'pw',
        projectName: 'spark',
        regionName: 'RegionOne',
        interface: 'public',
      });
      expect(await nova.serverStatus('abc')).toBe('ACTIVE');
      expect(await nova.serverStatus('gone')).toBe('DELETED');
      expect(seen).toEqual([
        'POST /v3/auth/tokens ',
        'GET /compute/v2.1/servers/abc tok-1',
        'GET /compute/v2.1/servers/gone tok-1',
      ]);
    } finally {
      server.close();
    }
  });
});
