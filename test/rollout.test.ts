import { SparkCluster } from '../lib';
import {
  executeRollout,
  masterLabel,
  masterUrlInState,
  masterUrlsInState,
  parseRolloutArgs,
  rolloutApplyArgs,
  RolloutTarget,
  selectTargets,
  serversInState,
  StateJson,
} from '../scripts/rollout';
import { Tofu } from '../scripts/tofu';
import { actionsOf, planChange } from './support/change';
import { clusterProps, EXTERNAL, LARGE, newStack, XLARGE } from './support/fixtures';
import { ScriptedCloudAndTofu, ScriptedCloudOptions, ScriptedServer } from './support/rollout-doubles';

// Which servers and in what order: from real plans (tofu against an offline state).
// Applying and waiting: against ScriptedCloudAndTofu, a test double; the real-cloud run is
// for the local OpenStack (issue 12).

function cluster(conf: Record<string, string> = {}, standbyMasters = false) {
  const stack = newStack();
  const ha = standbyMasters
    ? { highAvailability: true, externalNetwork: EXTERNAL, master: { flavor: LARGE, floatingIp: true } }
    : {};
  const c = new SparkCluster(stack, 'analytics', clusterProps({ sparkConf: conf, ...ha }));
  c.addWorkerPool('general', { count: 3, flavor: XLARGE, localVolumeGiB: 50 });
  c.addWorkerPool('small', { count: 2, flavor: LARGE });
  return stack;
}

const SERVERS = 'openstack_compute_instance_v2';
const labels = (batches: RolloutTarget[][]) => batches.map((b) => b.map((t) => t.label));
const options = (argv: string[]) => parseRolloutArgs(['test', ...argv]);

describe('npm run rollout', () => {
  const drifted = planChange(cluster(), cluster({ 'spark.sql.shuffle.partitions': '800' }));
  const unchanged = planChange(cluster(), cluster());

  it('reads its options and refuses bad ones', () => {
    expect(parseRolloutArgs(['example', '--batch', '2', '--include-master', '--only', 'general-1,master'])).toEqual({
      stack: 'example',
      batch: 2,
      includeMaster: true,
      only: ['general-1', 'master'],
      masterUrl: undefined,
      timeoutSeconds: 900,
      dryRun: false,
      synth: true,
    });
    expect(() => parseRolloutArgs(['example', '--batch', '0'])).toThrow('--batch takes a whole number >= 1, got 0');
    expect(() => parseRolloutArgs(['--batch', '2'])).toThrow(/usage: npm run rollout -- <stack>/);
    expect(() => parseRolloutArgs(['example', '--force'])).toThrow('unknown option --force');
    expect(parseRolloutArgs(['example', '--dir', '/tmp/out/stacks/example']).dir).toBe('/tmp/out/stacks/example');
    expect(() => parseRolloutArgs(['example', '--dir'])).toThrow('--dir takes a directory');
  });

  it('replaces drifted workers pool by pool, one at a time, and leaves a drifted master out unless asked', () => {
    const { batches, notes } = selectTargets(drifted.plan, drifted.config, options([]));
    expect(labels(batches)).toEqual([['general-1'], ['general-2'], ['general-3'], ['small-1'], ['small-2']]);
    expect(batches.flat().every((t) => t.reason === 'misses a configuration change')).toBe(true);
    expect(notes).toEqual([
      'the master (analytics) misses a configuration change: not replaced without --include-master (it goes ' +
        'last, alone; every running application fails when it does)',
    ]);
    // Each worker with a volume takes its attachment along (it names the old server).
    expect(batches[0][0].attachments).toEqual([
      expect.stringMatching(
        /^openstack_compute_volume_attach_v2\.analytics_Workers_general_VolumeAttachments_\w+\["general-1"\]$/,
      ),
    ]);
    expect(batches[3][0].attachments).toEqual([]);
  });

  it('batches N workers at a time and puts the master last, alone, with --include-master', () => {
    const { batches, notes } = selectTargets(
      drifted.plan,
      drifted.config,
      options(['--batch', '2', '--include-master']),
    );
    expect(labels(batches)).toEqual([['general-1', 'general-2'], ['general-3', 'small-1'], ['small-2'], ['master']]);
    expect(batches[3][0].address).toMatch(/^openstack_compute_instance_v2\.analytics_Master_Server_\w+$/);
    expect(notes).toEqual([]);
  });

  it('replaces only the servers named with --only, drifted or not, and refuses names it does not know', () => {
    expect(
      labels(selectTargets(unchanged.plan, unchanged.config, options(['--only', 'small-2,general-1'])).batches),
    ).toEqual([['general-1'], ['small-2']]);
    expect(
      labels(selectTargets(unchanged.plan, unchanged.config, options(['--only', 'analytics-general-3'])).batches),
    ).toEqual([['general-3']]);
    expect(() => selectTargets(unchanged.plan, unchanged.config, options(['--only', 'general-9']))).toThrow(
      /--only: no server general-9 in stack test; servers: master, general-1, general-2, general-3, small-1, small-2/,
    );
  });

  it('has nothing to do when every server has its configuration', () => {
    expect(selectTargets(unchanged.plan, unchanged.config, options([]))).toEqual({
      batches: [],
      notes: ['nothing to roll out: every server has its configuration'],
    });
  });

  it("a batch's apply arguments replace that worker and its volume attachment, and nothing else (real tofu plan)", () => {
    const { batches } = selectTargets(drifted.plan, drifted.config, options(['--batch', '2']));
    const [first] = batches;
    const plan = new Tofu(drifted.dir).plan([
      '-refresh=false',
      ...rolloutApplyArgs(
        first.map((t) => t.address),
        first.flatMap((t) => t.attachments),
      ),
    ]);
    expect(actionsOf(plan)).toEqual({
      replace: [
        'openstack_compute_instance_v2.analytics_Workers_general_Servers["general-1"]',
        'openstack_compute_instance_v2.analytics_Workers_general_Servers["general-2"]',
        'openstack_compute_volume_attach_v2.analytics_Workers_general_VolumeAttachments["general-1"]',
        'openstack_compute_volume_attach_v2.analytics_Workers_general_VolumeAttachments["general-2"]',
      ],
    });
  });

  it('reads servers and the master UI from the state as tofu shows it', () => {
    const state = JSON.parse(new Tofu(drifted.dir).run(['show', '-json'])) as StateJson;
    const servers = serversInState(state);
    const resources = state.values!.root_module!.resources!.filter((r) => r.type === SERVERS);
    expect(resources).toHaveLength(6);
    // The offline state's ids and addresses are placeholders; what matters is where they are read from.
    expect([...servers.entries()]).toEqual(
      resources.map((r) => [
        r.address,
        { id: r.values.id, ip: (r.values.network as { fixed_ip_v4: string }[])[0].fixed_ip_v4 },
      ]),
    );
    expect(masterUrlInState(state, drifted.config, 'analytics')).toBe('http://10.42.0.10:8080');
    expect(masterUrlInState(state, drifted.config, 'nosuchcluster')).toBeUndefined();
  });

  it("prefers the master's floating IP, and the HTTPS port when its record says web UI TLS is on", () => {
    const path = (p: string) => ({ '//': { metadata: { path: `st/analytics/Master/${p}` } } });
    const config = {
      resource: {
        openstack_networking_floatingip_v2: { fip: path('FloatingIp') },
        openstack_compute_instance_v2: { srv: path('Server') },
        openstack_networking_port_v2: { port: path('Port') },
      },
    };
    const record = 'v1;m=10.42.0.10;x=3/6237m/624m;s3=off;tls=0123456789ab;v=3.5.7;conf=none;ud=000000000000';
    const state: StateJson = {
      values: {
        root_module: {
          resources: [
            {
              address: 'openstack_networking_port_v2.port',
              type: 'openstack_networking_port_v2',
              values: { fixed_ip: [{ ip_address: '10.42.0.10' }] },
            },
            {
              address: 'openstack_compute_instance_v2.srv',
              type: SERVERS,
              values: { metadata: { 'spark:settings': record } },
            },
            {
              address: 'openstack_networking_floatingip_v2.fip',
              type: 'openstack_networking_floatingip_v2',
              values: { address: '198.51.100.20' },
            },
          ],
        },
      },
    };
    expect(masterUrlInState(state, config, 'analytics')).toBe('https://198.51.100.20:8480');
  });

  const target = (label: string, role: 'master' | 'worker' = 'worker'): RolloutTarget => ({
    address: `${SERVERS}.s["${label}"]`,
    label,
    role,
    cluster: 'analytics',
    reason: 'misses a configuration change',
    attachments: [],
  });
  const cloud = (script: Record<string, ScriptedServer>, extra: ScriptedCloudOptions = {}) =>
    new ScriptedCloudAndTofu(
      Object.fromEntries(Object.entries(script).map(([label, s]) => [`${SERVERS}.s["${label}"]`, { label, ...s }])),
      extra,
    );
  const run = (batches: RolloutTarget[][], deps: ScriptedCloudAndTofu, timeoutSeconds = 900) => {
    const log: string[] = [];
    return executeRollout(batches, deps, { timeoutSeconds }, (l) => log.push(l)).then((result) => ({ result, log }));
  };

  it('waits for each batch to be ACTIVE and registered before the next, the master last', async () => {
    const deps = cloud({
      'general-1': { ip: '10.42.0.21', statuses: ['BUILD', 'BUILD', 'ACTIVE'], registersAfter: 2 },
      'general-2': { ip: '10.42.0.22', statuses: ['BUILD', 'ACTIVE'] },
      master: { ip: '10.42.0.10', master: true },
    });
    const { result, log } = await run(
      [[target('general-1')], [target('general-2')], [target('master', 'master')]],
      deps,
    );
    expect(result).toEqual({
      replaced: [`${SERVERS}.s["general-1"]`, `${SERVERS}.s["general-2"]`, `${SERVERS}.s["master"]`],
      untouched: [],
    });
    // Batch 2 is applied only after batch 1's server polled ACTIVE.
    expect(deps.calls).toEqual([
      `apply -replace ${SERVERS}.s["general-1"]`,
      `status ${SERVERS}.s["general-1"]`,
      `status ${SERVERS}.s["general-1"]`,
      `status ${SERVERS}.s["general-1"]`,
      `apply -replace ${SERVERS}.s["general-2"]`,
      `status ${SERVERS}.s["general-2"]`,
      `status ${SERVERS}.s["general-2"]`,
      `apply -replace ${SERVERS}.s["master"]`,
      `status ${SERVERS}.s["master"]`,
    ]);
    expect(log).toContain('[rollout] general-1 registered with the master');
    expect(log).toContain('[rollout] the new master answers with 2 workers ALIVE');
  });

  it('stops at the first server that fails, leaving every later batch untouched', async () => {
    const deps = cloud({
      'general-1': { ip: '10.42.0.21' },
      'general-2': { ip: '10.42.0.22', statuses: ['BUILD', 'ERROR'] },
      'general-3': { ip: '10.42.0.23' },
    });
    const batches = [[target('general-1')], [target('general-2')], [target('general-3')]];
    const { result } = await run(batches, deps);
    expect(result).toEqual({
      replaced: [`${SERVERS}.s["general-1"]`],
      failed: { batch: [`${SERVERS}.s["general-2"]`], reason: 'general-2 is ERROR in Nova' },
      untouched: [`${SERVERS}.s["general-3"]`],
    });
    expect(deps.calls.filter((c) => c.startsWith('apply'))).toHaveLength(2);
  });

  it('stops when a new worker never registers with the master, or a server never gets ACTIVE', async () => {
    const never = cloud({
      'general-1': { ip: '10.42.0.21', registersAfter: 'never' },
      'general-2': { ip: '10.42.0.22' },
    });
    const first = await run([[target('general-1')], [target('general-2')]], never, 60);
    expect(first.result.failed?.reason).toBe(
      'timed out waiting for general-1 (10.42.0.21) to register with the master',
    );
    expect(first.result.untouched).toEqual([`${SERVERS}.s["general-2"]`]);

    const stuck = cloud({ 'general-1': { ip: '10.42.0.21', statuses: ['BUILD'] } });
    const second = await run([[target('general-1')]], stuck, 60);
    expect(second.result.failed?.reason).toBe('timed out waiting for general-1 to be ACTIVE');
  });

  it('stops when tofu apply fails, before touching the next batch', async () => {
    const deps = cloud(
      { 'general-1': { ip: '10.42.0.21' }, 'general-2': { ip: '10.42.0.22' } },
      { applyFails: `${SERVERS}.s["general-1"]` },
    );
    const { result } = await run([[target('general-1')], [target('general-2')]], deps);
    expect(result.failed?.reason).toBe(`tofu apply failed on ${SERVERS}.s["general-1"]`);
    expect(result.replaced).toEqual([]);
    expect(result.untouched).toEqual([`${SERVERS}.s["general-2"]`]);
    expect(deps.calls).toEqual([`apply -replace ${SERVERS}.s["general-1"]`]);
  });

  it('waits only for ACTIVE where the master UI does not answer, and says so', async () => {
    const deps = cloud({ 'general-1': { ip: '10.42.0.21', registersAfter: 'never' } }, { masterReachable: false });
    const { result, log } = await run([[target('general-1')]], deps);
    expect(result.failed).toBeUndefined();
    expect(log).toContain(
      "[rollout] general-1: registration not checked: the master's web UI (analytics) gives no worker list " +
        'from here, so only ACTIVE in Nova was waited for',
    );
  });

  it('replaces a batch of several servers in one apply, with their volume attachments', async () => {
    const deps = cloud({ 'general-1': { ip: '10.42.0.21' }, 'general-2': { ip: '10.42.0.22' } });
    const withVolume = { ...target('general-1'), attachments: ['openstack_compute_volume_attach_v2.a["general-1"]'] };
    await run([[withVolume, target('general-2')]], deps);
    expect(deps.calls[0]).toBe(
      `apply -replace ${SERVERS}.s["general-1"] ${SERVERS}.s["general-2"] +attach openstack_compute_volume_attach_v2.a["general-1"]`,
    );
  });

  describe('with standby masters', () => {
    const haDrifted = planChange(cluster({}, true), cluster({ 'spark.sql.shuffle.partitions': '800' }, true));
    const haUnchanged = planChange(cluster({}, true), cluster({}, true));
    const HA_NOTE =
      'not replaced without --include-master (one at a time after every worker, the standbys first and the ' +
      'ALIVE one last: with standby masters only that last one is meant to cause a failover (another can, ' +
      'when the ALIVE master loses its ZooKeeper session; the rollout then follows it too). Workers and the ' +
      'drivers of running applications re-register with the new ALIVE master and executors keep running; the ' +
      'rollout waits for every worker that was ALIVE and names any running application the new master no ' +
      "longer lists (a driver on a replaced master's own server ends with it))";

    it('labels each master from its construct id, else from its server name', () => {
      expect(masterLabel('test/analytics/Master/Server', 'analytics-master')).toBe('master');
      expect(masterLabel('test/analytics/Master3/Server', 'analytics-master-3')).toBe('master-3');
      expect(masterLabel('', 'analytics-master-2')).toBe('master-2');
      expect(masterLabel('', 'analytics-master')).toBe('master');
    });

    it('gives every master a batch of its own after every worker, and leaves them out unless asked', () => {
      const left = selectTargets(haDrifted.plan, haDrifted.config, options([]));
      expect(labels(left.batches)).toEqual([['general-1'], ['general-2'], ['general-3'], ['small-1'], ['small-2']]);
      expect(left.notes).toEqual([
        `masters master, master-2, master-3 of analytics: each misses a configuration change: ${HA_NOTE}`,
      ]);

      const { batches, notes } = selectTargets(
        haDrifted.plan,
        haDrifted.config,
        options(['--batch', '3', '--include-master']),
      );
      expect(labels(batches)).toEqual([
        ['general-1', 'general-2', 'general-3'],
        ['small-1', 'small-2'],
        ['master'],
        ['master-2'],
        ['master-3'],
      ]);
      expect(batches.slice(2).map(([m]) => m.address)).toEqual([
        expect.stringMatching(/^openstack_compute_instance_v2\.analytics_Master_Server_\w+$/),
        expect.stringMatching(/^openstack_compute_instance_v2\.analytics_Master2_Server_\w+$/),
        expect.stringMatching(/^openstack_compute_instance_v2\.analytics_Master3_Server_\w+$/),
      ]);
      expect(notes).toEqual([
        'masters master, master-2, master-3 of analytics: one at a time after every worker, in the order their ' +
          'web UIs give when the rollout gets to them: any that is not STANDBY first, the standbys, the ALIVE one last',
      ]);
    });

    it('takes one master by its label or server name with --only, and names every master when one is unknown', () => {
      const only = (list: string, ...more: string[]) =>
        selectTargets(haUnchanged.plan, haUnchanged.config, options(['--only', list, ...more]));
      expect(labels(only('master-2', '--include-master').batches)).toEqual([['master-2']]);
      expect(labels(only('analytics-master-3,general-2', '--include-master').batches)).toEqual([
        ['general-2'],
        ['master-3'],
      ]);
      // `master` is master 1 only.
      expect(labels(only('master', '--include-master').batches)).toEqual([['master']]);
      expect(only('master-2')).toEqual({
        batches: [],
        notes: [`master-2 of analytics was chosen: ${HA_NOTE}`],
      });
      expect(() => only('master-4')).toThrow(
        /--only: no server master-4 in stack test; servers: master, master-2, master-3, general-1, /,
      );
    });

    it("reads each master's UI from the state: its floating IP, else its port's address", () => {
      const state = JSON.parse(new Tofu(haDrifted.dir).run(['show', '-json'])) as StateJson;
      const urls = masterUrlsInState(state, haDrifted.config, 'analytics');
      expect(urls.map((m) => m.label)).toEqual(['master', 'master-2', 'master-3']);
      const fips = state.values!.root_module!.resources!.filter((r) => r.type === 'openstack_networking_floatingip_v2');
      expect(fips).toHaveLength(3);
      for (const { url } of urls) {
        const ip = /^http:\/\/([^:]+):8080$/.exec(url ?? '')?.[1];
        expect(fips.map((f) => f.values.address)).toContain(ip);
      }
      expect(new Set(urls.map((m) => m.url)).size).toBe(3);
      expect(masterUrlInState(state, haDrifted.config, 'analytics')).toBe(urls[0].url);

      // Without floating IPs: the fixed addresses of the masters' ports.
      const portsOnly: StateJson = {
        values: {
          root_module: {
            resources: state.values!.root_module!.resources!.filter(
              (r) => r.type !== 'openstack_networking_floatingip_v2',
            ),
          },
        },
      };
      expect(masterUrlsInState(portsOnly, haDrifted.config, 'analytics')).toEqual([
        { label: 'master', url: 'http://10.42.0.10:8080' },
        { label: 'master-2', url: 'http://10.42.0.11:8080' },
        { label: 'master-3', url: 'http://10.42.0.12:8080' },
      ]);
    });

    const workers = { 'general-1': { ip: '10.42.0.21' }, 'general-2': { ip: '10.42.0.22' } };
    const masters = (statuses: string[], extra: Partial<ScriptedServer>[] = []) =>
      Object.fromEntries(
        statuses.map((status, i) => [
          i === 0 ? 'master' : `master-${i + 1}`,
          {
            ip: `10.42.0.1${i}`,
            master: true,
            masterStatus: status as ScriptedServer['masterStatus'],
            ...extra[i],
          },
        ]),
      );
    const masterBatches = () => [
      [target('master', 'master')],
      [target('master-2', 'master')],
      [target('master-3', 'master')],
    ];
    const applied = (deps: ScriptedCloudAndTofu) =>
      deps.calls.filter((c) => c.startsWith('apply')).map((c) => /s\["([^"]+)"\]/.exec(c)![1]);

    it('replaces the standbys first and the ALIVE master last, waiting for the failover and its workers', async () => {
      const deps = cloud(
        { ...workers, ...masters(['STANDBY', 'ALIVE', 'STANDBY']) },
        {
          apps: [
            { id: 'app-1', name: 'etl', state: 'RUNNING' },
            { id: 'app-2', name: 'shell', state: 'RUNNING' },
          ],
          appsLostInFailover: ['app-2'],
        },
      );
      const { result, log } = await run([[target('general-1')], ...masterBatches()], deps);
      expect(result.failed).toBeUndefined();
      expect(applied(deps)).toEqual(['general-1', 'master', 'master-3', 'master-2']);
      expect(result.replaced).toEqual(
        ['general-1', 'master', 'master-3', 'master-2'].map((l) => `${SERVERS}.s["${l}"]`),
      );
      expect(log.filter((l) => !l.includes('is ACTIVE'))).toEqual([
        '[rollout] batch 1/4: general-1',
        '[rollout] general-1 registered with master-2 (ALIVE)',
        '[rollout] batch 2/4: master',
        '[rollout] master answers STANDBY; master-2 is ALIVE',
        '[rollout] batch 3/4: master-3',
        '[rollout] master-3 answers STANDBY; master-2 is ALIVE',
        '[rollout] batch 4/4: master-2',
        '[rollout] master is ALIVE after the failover from master-2, with the 2 workers that were ALIVE before',
        '[rollout] master no longer lists 1 of the 2 applications master-2 listed as active: app-2 (shell): ' +
          "finished meanwhile, or ended by the failover (a driver on a replaced master's old server, or one that " +
          "did not re-register); its driver's log says which",
        '[rollout] master-2 answers STANDBY; master is ALIVE',
      ]);
    });

    it('replaces a master that does not answer before the standbys, as a repair', async () => {
      const deps = cloud(masters(['ALIVE', 'STANDBY', 'unreachable']), {
        apps: [{ id: 'app-1', name: 'etl', state: 'RUNNING' }],
      });
      const { result, log } = await run(masterBatches(), deps);
      expect(result.failed).toBeUndefined();
      expect(applied(deps)).toEqual(['master-3', 'master-2', 'master']);
      expect(log).toContain('[rollout] master-2 lists every application master listed as active: app-1 (etl)');
    });

    it('follows a failover that a standby replacement causes, and still replaces the new ALIVE master last', async () => {
      const deps = cloud(
        { ...workers, ...masters(['ALIVE', 'STANDBY', 'STANDBY']) },
        { leaderLostWith: `${SERVERS}.s["master-2"]` },
      );
      const { result, log } = await run(masterBatches(), deps);
      expect(result.failed).toBeUndefined();
      // master-3 took over while master-2 was replaced: master goes next, as a standby now, master-3 last.
      expect(applied(deps)).toEqual(['master-2', 'master', 'master-3']);
      expect(log).toContain(
        '[rollout] master-3 is ALIVE after the failover from master while master-2 was replaced, with the 2 ' +
          'workers that were ALIVE before',
      );
      expect(log).toContain('[rollout] master-2 answers STANDBY; master-3 is ALIVE');
      expect(log).toContain(
        '[rollout] master is ALIVE after the failover from master-3, with the 2 workers that were ALIVE before',
      );
    });

    it('stops when a standby never comes back, before the ALIVE master fails over', async () => {
      const deps = cloud({ ...workers, ...masters(['ALIVE', 'STANDBY', 'STANDBY'], [{}, { standbyAfter: 'never' }]) });
      const { result } = await run(masterBatches(), deps, 60);
      expect(result).toEqual({
        replaced: [],
        failed: {
          batch: [`${SERVERS}.s["master-2"]`],
          reason:
            'timed out waiting for master-2 to answer STANDBY or ALIVE on its /json, with a master ALIVE ' +
            '(last read: master ALIVE, master-2 unreachable (ECONNREFUSED), master-3 STANDBY)',
        },
        untouched: [`${SERVERS}.s["master-3"]`, `${SERVERS}.s["master"]`],
      });
      expect(applied(deps)).toEqual(['master-2']);
    });

    it('stops when the failover never completes, or a worker does not come back with the new ALIVE master', async () => {
      const never = cloud({ ...workers, ...masters(['ALIVE', 'STANDBY', 'STANDBY']) }, { failoverAfter: 'never' });
      const first = await run([[target('master', 'master')]], never, 60);
      expect(first.result.failed?.reason).toBe(
        'timed out waiting for another master of analytics to be ALIVE with the 2 workers that were ALIVE with ' +
          'master (last read: master STANDBY, master-2 RECOVERING, master-3 STANDBY)',
      );

      const lost = cloud(
        { ...workers, ...masters(['ALIVE', 'STANDBY', 'STANDBY']) },
        { lostInFailover: [`${SERVERS}.s["general-2"]`] },
      );
      const second = await run([[target('master', 'master')]], lost, 60);
      expect(second.result.failed?.reason).toBe(
        'timed out waiting for another master of analytics to be ALIVE with the 2 workers that were ALIVE with ' +
          'master (last read: master STANDBY, master-2 ALIVE, master-3 STANDBY)',
      );
    });

    it('refuses a master batch that would leave fewer than a majority answering, and says what to do', async () => {
      const deps = cloud(masters(['ALIVE', 'STANDBY', 'unreachable']));
      const { result, log } = await run([[target('master-2', 'master')]], deps);
      const reason =
        'replacing master-2 would leave 1 of the 3 masters of analytics answering, fewer than a majority (2): ' +
        'master-3 unreachable (ECONNREFUSED). Bring master-3 back first, or replace it first ' +
        '(--only master-3 --include-master)';
      expect(result).toEqual({
        replaced: [],
        failed: { batch: [`${SERVERS}.s["master-2"]`], reason },
        untouched: [`${SERVERS}.s["master-2"]`],
      });
      expect(log).toEqual(['[rollout] batch 1/1: master-2', `[rollout] REFUSED batch 1 (master-2): ${reason}`]);
      expect(deps.calls).toEqual([]);

      // Of five masters, one down and one being replaced leave three answering: still a majority; two down do not.
      const five = cloud(masters(['ALIVE', 'STANDBY', 'STANDBY', 'unreachable', 'STANDBY']));
      const ok = await run([[target('master-2', 'master')]], five);
      expect(ok.result.failed).toBeUndefined();
      const twoDown = cloud(masters(['ALIVE', 'STANDBY', 'unreachable', 'unreachable', 'STANDBY']));
      const refused = await run([[target('master-2', 'master')]], twoDown);
      expect(refused.result.failed?.reason).toMatch(
        /^replacing master-2 would leave 2 of the 5 masters of analytics answering, fewer than a majority \(3\)/,
      );
    });

    it('refuses a master batch while no master is ALIVE, or two are', async () => {
      const none = await run([[target('master-2', 'master')]], cloud(masters(['RECOVERING', 'STANDBY', 'STANDBY'])));
      expect(none.result.failed?.reason).toBe(
        'no master of analytics is ALIVE (master RECOVERING, master-2 STANDBY, master-3 STANDBY); master-2 is not ' +
          'replaced while none is',
      );
      const unread = await run(
        [[target('master', 'master')]],
        cloud(masters(['ALIVE', 'STANDBY', 'STANDBY']), { masterReachable: false }),
      );
      expect(unread.result.failed?.reason).toMatch(/^no master of analytics is ALIVE \(master unreachable/);
      expect(unread.result.untouched).toEqual([`${SERVERS}.s["master"]`]);
      const split = await run([[target('master-3', 'master')]], cloud(masters(['ALIVE', 'ALIVE', 'STANDBY'])));
      expect(split.result.failed?.reason).toBe(
        '2 masters of analytics are ALIVE (master ALIVE, master-2 ALIVE, master-3 STANDBY); master-3 is not ' +
          'replaced until one is (npm run status says more)',
      );
      expect(split.result.replaced).toEqual([]);
    });

    it('checks worker registrations with whichever master is ALIVE, and says when none is', async () => {
      const deps = cloud({
        'general-1': { ip: '10.42.0.21', registersAfter: 2 },
        ...masters(['STANDBY', 'ALIVE', 'STANDBY']),
      });
      const { log } = await run([[target('general-1')]], deps);
      expect(log).toContain('[rollout] general-1 registered with master-2 (ALIVE)');

      const leaderless = cloud({
        'general-1': { ip: '10.42.0.21' },
        ...masters(['STANDBY', 'STANDBY', 'unreachable']),
      });
      const second = await run([[target('general-1')]], leaderless);
      expect(second.result.failed).toBeUndefined();
      expect(second.log).toContain(
        '[rollout] general-1: registration not checked: no master of analytics answers ALIVE (master STANDBY, ' +
          'master-2 STANDBY, master-3 unreachable (ECONNREFUSED)), so only ACTIVE in Nova was waited for',
      );
    });
  });
});
