import { SparkCluster } from '../lib';
import {
  executeRollout,
  masterUrlInState,
  parseRolloutArgs,
  rolloutApplyArgs,
  RolloutTarget,
  selectTargets,
  serversInState,
  StateJson,
} from '../scripts/rollout';
import { Tofu } from '../scripts/tofu';
import { actionsOf, planChange } from './support/change';
import { clusterProps, LARGE, newStack, XLARGE } from './support/fixtures';
import { ScriptedCloudAndTofu, ScriptedServer } from './support/rollout-doubles';

// Which servers and in what order: from real plans (tofu against an offline state).
// Applying and waiting: against ScriptedCloudAndTofu, a test double; the real-cloud run is
// for the local OpenStack (issue 12).

function cluster(conf: Record<string, string> = {}) {
  const stack = newStack();
  const c = new SparkCluster(stack, 'analytics', clusterProps({ sparkConf: conf }));
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
  const cloud = (script: Record<string, ScriptedServer>, extra = {}) =>
    new ScriptedCloudAndTofu(
      Object.fromEntries(Object.entries(script).map(([label, s]) => [`${SERVERS}.s["${label}"]`, s])),
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
});
