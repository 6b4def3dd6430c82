import { parseStatusArgs, runStatus, ShownState, StatusOptions, targetFromState } from '../scripts/status';
import {
  FakeHtmlPage,
  FakeHttpServer,
  FakeJsonServer,
  FakePrometheus,
  FakeSparkMaster,
} from './support/status-doubles';

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

/** The state of a stack with several masters: master_web_ui_urls lists `urls` (or `listed`). */
function haState(urls: string[], listed: unknown = urls): ShownState {
  const state = shownState(urls[0] ?? '');
  state.values!.outputs!.master_web_ui_urls = { value: listed };
  return state;
}

/**
 * Runs the status against `masters` (undefined: a stopped master, whose port nothing listens
 * on) and the stack state `state` makes of their URLs (default: master_web_ui_urls lists them).
 */
async function statusOfMasters(
  masters: (FakeHttpServer | undefined)[],
  state: (urls: string[]) => ShownState = haState,
  options: (urls: string[]) => Partial<StatusOptions> = () => ({}),
): Promise<{ code: number; lines: string[]; urls: string[] }> {
  const urls: string[] = [];
  for (const master of masters) urls.push(master ? await master.start() : await closedPortUrl());
  const lines: string[] = [];
  try {
    const code = await runStatus(
      { stack: 'ha', ...options(urls) },
      (l) => lines.push(l),
      () => state(urls),
    );
    return { code, lines, urls };
  } finally {
    await Promise.all(masters.map((m) => m?.stop()));
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
      masterUrls: ['http://203.0.113.5:8080'],
      outputProblems: [],
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
      masterUrls: ['https://m:8480'],
    });
    expect(() => parseStatusArgs([])).toThrow(/usage: npm run status -- <stack>/);
    expect(() => parseStatusArgs(['a', '--bogus'])).toThrow(/unknown option --bogus/);
  });

  it('takes --master-url several times or as a comma-separated list, and rejects an empty entry', () => {
    expect(
      parseStatusArgs(['ha', '--master-url', 'http://a:8080, http://b:8080', '--master-url', 'http://c:8080']),
    ).toEqual({ stack: 'ha', masterUrls: ['http://a:8080', 'http://b:8080', 'http://c:8080'] });
    expect(() => parseStatusArgs(['ha', '--master-url', 'http://a:8080,,http://c:8080'])).toThrow(
      /--master-url http:\/\/a:8080,,http:\/\/c:8080: an empty URL in the list/,
    );
    expect(() => parseStatusArgs(['ha', '--master-url'])).toThrow(/--master-url takes a value/);
  });
});

describe('npm run status with several masters (ZooKeeper recovery)', () => {
  it('reads every master from master_web_ui_urls, first master first', () => {
    const urls = ['http://10.42.0.10:8080', 'http://10.42.0.11:8080', 'http://10.42.0.12:8080'];
    expect(targetFromState(haState(urls))).toMatchObject({
      masterUrl: 'http://10.42.0.10:8080',
      masterUrls: urls,
      outputProblems: [],
    });
  });

  it("reports the ALIVE master's workers, lists each master and exits 0 when every other is STANDBY", async () => {
    const { code, lines, urls } = await statusOfMasters([
      FakeSparkMaster.standby(),
      new FakeSparkMaster({ workers: healthy(), apps: [{ name: 'parquet-job', state: 'RUNNING' }] }),
      FakeSparkMaster.standby(),
    ]);
    expect(lines).toEqual([
      `[status] ha: master ${urls[1]} is ALIVE`,
      `  masters: 1 ALIVE of 3 (${urls[0]} STANDBY, ${urls[1]} ALIVE, ${urls[2]} STANDBY)`,
      '  workers: 4 alive of 4 expected',
      '    pool general: 3 of 3 registered',
      '    pool highmem: 1 of 1 registered',
      '  cores: 4 used of 28; memory: 6.0 GiB used of 72.0 GiB',
      '  applications: 1 running (parquet-job), 0 waiting',
      '  alerts: no Prometheus in this cluster (monitoring.prometheus)',
    ]);
    expect(code).toBe(0);
  });

  it('reads the masters at once, not one after another', async () => {
    // No master answers before all three have been asked: read one after another, the first
    // would time out and the status could not exit 0.
    let asked = 0;
    let release: () => void = () => undefined;
    const everyoneAsked = new Promise<void>((resolve) => (release = resolve));
    const gate = () => {
      if (++asked === 3) release();
      return everyoneAsked;
    };
    const { code } = await statusOfMasters([
      new FakeSparkMaster({ workers: healthy(), gate }),
      FakeSparkMaster.standby(gate),
      FakeSparkMaster.standby(gate),
    ]);
    expect(asked).toBe(3);
    expect(code).toBe(0);
  });

  it('prints the single-master report unchanged when master_web_ui_urls lists one master', async () => {
    const { code, lines, urls } = await statusOfMasters([new FakeSparkMaster({ workers: healthy() })]);
    expect(lines[0]).toBe(`[status] ha: master ${urls[0]} is ALIVE`);
    expect(lines[1]).toBe('  workers: 4 alive of 4 expected');
    expect(lines.join('\n')).not.toMatch(/masters:/);
    expect(code).toBe(0);
  });

  it('says HA is degraded when a standby master does not answer, and exits 1', async () => {
    const { code, lines, urls } = await statusOfMasters([
      new FakeSparkMaster({ workers: healthy() }),
      FakeSparkMaster.standby(),
      undefined,
    ]);
    expect(lines.slice(0, 4)).toEqual([
      `[status] ha: master ${urls[0]} is ALIVE`,
      `  masters: 1 ALIVE of 3 (${urls[0]} ALIVE, ${urls[1]} STANDBY, ${urls[2]} unreachable: ECONNREFUSED)`,
      `  HA DEGRADED: ${urls[2]} unreachable: ECONNREFUSED; the cluster now survives no further master loss (ZooKeeper needs 2 of the 3 masters)`,
      '  workers: 4 alive of 4 expected',
    ]);
    expect(code).toBe(1);
  });

  it('says HA is degraded when another master is recovering rather than STANDBY, and exits 1', async () => {
    const { code, lines, urls } = await statusOfMasters([
      FakeSparkMaster.standby(),
      FakeSparkMaster.standby(),
      new FakeSparkMaster({ workers: healthy() }),
      new FakeSparkMaster({ workers: [], status: 'COMPLETING_RECOVERY' }),
      FakeSparkMaster.standby(),
    ]);
    expect(lines[2]).toBe(
      `  HA DEGRADED: ${urls[3]} is COMPLETING_RECOVERY, not STANDBY; the cluster now survives 1 more, not 2 (ZooKeeper needs 3 of the 5 masters)`,
    );
    expect(code).toBe(1);
  });

  it('exits 2 naming each master when none can be reached', async () => {
    const { code, lines, urls } = await statusOfMasters([undefined, undefined, undefined]);
    expect(lines).toEqual([
      `[status] ha: none of the 3 Spark masters can be reached: ${urls.map((u) => `${u} unreachable: ECONNREFUSED`).join(', ')}.`,
      '[status] Is the stack deployed, and is the web UI open to this machine (access.webUiFrom)? --master-url overrides the addresses.',
    ]);
    expect(code).toBe(2);
  });

  it('exits 2 when every master answers STANDBY, and points at ZooKeeper', async () => {
    const { code, lines, urls } = await statusOfMasters([
      FakeSparkMaster.standby(),
      FakeSparkMaster.standby(),
      FakeSparkMaster.standby(),
    ]);
    expect(lines).toEqual([
      `[status] ha: no Spark master is ALIVE: ${urls.map((u) => `${u} STANDBY`).join(', ')}.`,
      '[status] Every master that answers is STANDBY: none has won the election. ' +
        'Is ZooKeeper up and reachable from the masters (spark.deploy.zookeeper.url)?',
    ]);
    expect(code).toBe(2);
  });

  it('exits 2 during a failover, when the only answering candidate is still RECOVERING', async () => {
    const { code, lines, urls } = await statusOfMasters([
      undefined,
      new FakeSparkMaster({ workers: [], status: 'RECOVERING' }),
      FakeSparkMaster.standby(),
    ]);
    expect(lines).toEqual([
      `[status] ha: no Spark master is ALIVE: ${urls[0]} unreachable: ECONNREFUSED, ${urls[1]} RECOVERING, ${urls[2]} STANDBY.`,
      '[status] A master is recovering the cluster from ZooKeeper (a failover): run this again in a minute.',
    ]);
    expect(code).toBe(2);
  });

  it('exits 2 when the only master answers STANDBY', async () => {
    const { code, lines, urls } = await statusOfMasters([FakeSparkMaster.standby()]);
    expect(lines[0]).toBe(`[status] ha: master ${urls[0]} is STANDBY, not ALIVE: nothing schedules applications.`);
    expect(code).toBe(2);
  });

  it("says SPLIT BRAIN loudly when two masters are ALIVE, reports the first one's workers and exits 1", async () => {
    const { code, lines, urls } = await statusOfMasters([
      FakeSparkMaster.standby(),
      new FakeSparkMaster({ workers: healthy() }),
      new FakeSparkMaster({ workers: [{ host: '10.42.0.21' }] }),
    ]);
    expect(lines.slice(0, 4)).toEqual([
      `[status] ha: master ${urls[1]} is ALIVE`,
      `  masters: 2 ALIVE of 3 (${urls[0]} STANDBY, ${urls[1]} ALIVE, ${urls[2]} ALIVE)`,
      `  SPLIT BRAIN: 2 masters are ALIVE (${urls[1]}, ${urls[2]}) and each may schedule applications on its ` +
        'own workers. Stop all but one, and check that every master uses the same ZooKeeper ' +
        `(spark.deploy.zookeeper.url). Workers below as ${urls[1]} sees them.`,
      '  workers: 4 alive of 4 expected',
    ]);
    expect(code).toBe(1);
  });

  it('counts a master that answers with something other than JSON as unreachable, and says what came back', async () => {
    const { code, lines, urls } = await statusOfMasters([
      new FakeSparkMaster({ workers: healthy() }),
      new FakeHtmlPage(),
      FakeSparkMaster.standby(),
    ]);
    expect(lines[2]).toBe(
      `  HA DEGRADED: ${urls[1]} unreachable: not JSON (text/html): "<html><body>Sign in to continue</body></"` +
        '; the cluster now survives no further master loss (ZooKeeper needs 2 of the 3 masters)',
    );
    expect(code).toBe(1);
  });

  it('does not take JSON without a status for a master', async () => {
    const { code, lines, urls } = await statusOfMasters([new FakeJsonServer({ '/json/': () => ({ workers: [] }) })]);
    expect(lines[0]).toBe(
      `[status] ha: the Spark master cannot be reached at ${urls[0]}: its /json/ names no status (not a Spark master?).`,
    );
    expect(code).toBe(2);
  });

  it('reads the URLs of a master_web_ui_urls that holds a non-string, names the bad entry and exits 1', async () => {
    const { code, lines, urls } = await statusOfMasters(
      [new FakeSparkMaster({ workers: healthy() }), FakeSparkMaster.standby()],
      (u) => haState(u, [u[0], null, u[1]]),
    );
    expect(lines.slice(0, 3)).toEqual([
      `[status] ha: master ${urls[0]} is ALIVE`,
      `  masters: 1 ALIVE of 2 (${urls[0]} ALIVE, ${urls[1]} STANDBY)`,
      '  stack outputs: master_web_ui_urls[1] is null, not a URL',
    ]);
    expect(code).toBe(1);
  });

  it.each([
    ['is empty', [], 'master_web_ui_urls is an empty list'],
    ['is not a list', 'http://x:8080', 'master_web_ui_urls is "http://x:8080", not a list of URLs'],
    ['holds no string', [42], 'master_web_ui_urls[0] is 42, not a URL'],
  ])('reads master_web_ui_url alone when master_web_ui_urls %s, says so and exits 1', async (_, listed, problem) => {
    const { code, lines, urls } = await statusOfMasters([new FakeSparkMaster({ workers: healthy() })], (u) =>
      haState(u, listed),
    );
    expect(lines.slice(0, 2)).toEqual([
      `[status] ha: master ${urls[0]} is ALIVE`,
      `  stack outputs: ${problem}; read master_web_ui_url alone`,
    ]);
    expect(code).toBe(1);
  });

  it('says so when the master outputs name no master at all, and exits 2', async () => {
    const { code, lines } = await statusOfMasters([], () => {
      const state = haState([], []);
      delete state.values!.outputs!.master_web_ui_url;
      return state;
    });
    expect(lines).toEqual([
      '[status] ha: the Spark master cannot be reached at (no URL): the stack has no master_web_ui_url output.',
      '[status] Is the stack deployed, and is the web UI open to this machine (access.webUiFrom)? --master-url overrides the address.',
      "[status] The stack's master outputs: master_web_ui_urls is an empty list.",
    ]);
    expect(code).toBe(2);
  });

  it('reads the --master-url list instead of the outputs, and reads a repeated URL once', async () => {
    const { code, lines, urls } = await statusOfMasters(
      [new FakeSparkMaster({ workers: healthy() }), FakeSparkMaster.standby()],
      // Outputs that name nothing reachable, and a bad entry that no longer matters.
      () => haState(['http://192.0.2.1:8080'], ['http://192.0.2.1:8080', 7]),
      (u) => ({ masterUrls: [u[0], `${u[1]}/`, u[1]] }),
    );
    expect(lines.slice(0, 3)).toEqual([
      `[status] ha: master ${urls[0]} is ALIVE`,
      `  masters: 1 ALIVE of 2 (${urls[0]} ALIVE, ${urls[1]} STANDBY)`,
      '  workers: 4 alive of 4 expected',
    ]);
    expect(code).toBe(0);
  });
});
