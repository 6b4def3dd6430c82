import { parseStatusArgs, runStatus, ShownState, targetFromState } from '../scripts/status';
import { FakePrometheus, FakeSparkMaster } from './support/status-doubles';

/** A `tofu show -json` of a deployed stack with two pools (outputs as the example stacks emit them). */
function shownState(masterUrl: string, prometheusUrl?: string, pools = { general: 3, highmem: 1 }): ShownState {
  const worker = (pool: string, n: number, ip: string) => ({
    type: 'openstack_compute_instance_v2',
    values: {
      metadata: { 'spark:role': 'worker', 'spark:pool': pool, 'spark:cluster': 'analytics' },
      network: [{ fixed_ip_v4: ip }],
      name: `analytics-${pool}-${n}`,
    },
  });
  return {
    values: {
      outputs: {
        master_web_ui_url: { value: masterUrl },
        ...(prometheusUrl ? { prometheus_url: { value: prometheusUrl } } : {}),
        worker_pools: { value: pools },
        spark_auth_secret: { value: 'secret', sensitive: true },
      },
      root_module: {
        resources: [
          { type: 'openstack_compute_instance_v2', values: { metadata: { 'spark:role': 'master' } } },
          worker('general', 1, '10.42.0.21'),
          worker('general', 2, '10.42.0.22'),
          worker('general', 3, '10.42.0.23'),
          worker('highmem', 1, '10.42.0.31'),
        ],
      },
    },
  };
}

/** A loopback URL where nothing listens: a port a server held a moment ago. */
async function closedPortUrl(): Promise<string> {
  const server = new FakeSparkMaster({ workers: [] });
  const url = await server.start();
  await server.stop();
  return url;
}

async function statusOf(
  master: FakeSparkMaster | undefined,
  prometheus?: FakePrometheus,
): Promise<{ code: number; lines: string[] }> {
  const masterUrl = master ? await master.start() : await closedPortUrl();
  const prometheusUrl = prometheus ? await prometheus.start() : undefined;
  const lines: string[] = [];
  try {
    const code = await runStatus(
      { stack: 'example' },
      (l) => lines.push(l),
      () => shownState(masterUrl, prometheusUrl),
    );
    return { code, lines };
  } finally {
    await master?.stop();
    await prometheus?.stop();
  }
}

const healthy = () => [
  { host: '10.42.0.21', coresused: 4, memoryused: 6144 },
  { host: '10.42.0.22' },
  { host: '10.42.0.23' },
  { host: '10.42.0.31', cores: 4, memory: 30720 },
];

describe('npm run status', () => {
  it('reads the URLs and the pools from the stack outputs and its servers', () => {
    expect(targetFromState(shownState('http://203.0.113.5:8080', 'http://203.0.113.5:9090'))).toEqual({
      masterUrl: 'http://203.0.113.5:8080',
      prometheusUrl: 'http://203.0.113.5:9090',
      pools: {
        general: { expected: 3, addresses: ['10.42.0.21', '10.42.0.22', '10.42.0.23'] },
        highmem: { expected: 1, addresses: ['10.42.0.31'] },
      },
    });
  });

  it('prints a healthy cluster: every worker registered, cores, memory, applications, no alerts; exits 0', async () => {
    const { code, lines } = await statusOf(
      new FakeSparkMaster({ workers: healthy(), apps: [{ name: 'parquet-job', state: 'RUNNING' }] }),
      new FakePrometheus([]),
    );
    expect(lines.slice(1)).toEqual([
      '  workers: 4 alive of 4 expected',
      '    pool general: 3 of 3 registered',
      '    pool highmem: 1 of 1 registered',
      '  cores: 4 used of 28; memory: 6.0 GiB used of 72.0 GiB',
      '  applications: 1 running (parquet-job), 0 waiting',
      '  alerts: none firing',
    ]);
    expect(lines[0]).toMatch(/^\[status\] example: master http:\/\/127\.0\.0\.1:\d+ is ALIVE$/);
    expect(code).toBe(0);
  });

  it('names a lost worker, a waiting application and a firing alert; exits 1', async () => {
    const workers = healthy().map((w) => (w.host === '10.42.0.22' ? { ...w, state: 'DEAD' as const } : w));
    const { code, lines } = await statusOf(
      new FakeSparkMaster({ workers, apps: [{ name: 'etl', state: 'WAITING' }] }),
      new FakePrometheus([
        { alertname: 'SparkWorkerLost', instance: '10.42.0.10:8080', state: 'firing' },
        { alertname: 'SparkWorkerDown', instance: '10.42.0.22:8081', state: 'pending' },
      ]),
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        '  workers: 3 alive of 4 expected, 1 the master lists as not alive',
        '    pool general: 2 of 3 registered (MISSING); not registered: 10.42.0.22',
        '  applications: 0 running, 1 waiting (etl)',
        '  alerts: FIRING SparkWorkerLost (10.42.0.10:8080); pending SparkWorkerDown (10.42.0.22:8081)',
      ]),
    );
    expect(code).toBe(1);
  });

  it('says when the cluster runs no Prometheus', async () => {
    const { code, lines } = await statusOf(new FakeSparkMaster({ workers: healthy() }));
    expect(lines).toContain('  alerts: no Prometheus in this cluster (monitoring.prometheus)');
    expect(code).toBe(0);
  });

  it('says clearly when the master cannot be reached, and exits 2', async () => {
    const { code, lines } = await statusOf(undefined);
    expect(lines[0]).toMatch(
      /^\[status\] example: the Spark master cannot be reached at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\.$/,
    );
    expect(lines[1]).toMatch(/access\.webUiFrom/);
    expect(code).toBe(2);
  });

  it('says when the stack was never synthesized or deployed, and exits 2', async () => {
    const lines: string[] = [];
    const code = await runStatus({ stack: 'nope', dir: '/nonexistent' }, (l) => lines.push(l));
    expect(lines).toEqual([
      '[status] nope: no synthesized stack in /nonexistent: deploy it first (cdktf deploy nope), or pass --dir',
    ]);
    expect(code).toBe(2);
  });

  it('parses its arguments', () => {
    expect(parseStatusArgs(['example', '--master-url', 'https://m:8480'])).toEqual({
      stack: 'example',
      masterUrl: 'https://m:8480',
    });
    expect(() => parseStatusArgs([])).toThrow(/usage: npm run status -- <stack>/);
    expect(() => parseStatusArgs(['a', '--bogus'])).toThrow(/unknown option --bogus/);
  });
});
