// Day-2 changes applied for real on the local cloud (scripts/cloud/cloud.sh): an image change,
// a flavor change and a rolling replacement, each reviewed first (scripts/plan-review.ts on a
// real `tofu plan` against the cloud), then applied as the non-admin user and checked through
// the cloud's own APIs: server IDs, images, flavors, hosts and the instance actions Nova
// records. Each test deploys its own example cluster and leaves the project empty at its end.
import { Category, renderText, Review, reviewPlan } from '../../scripts/plan-review';
import { parseRolloutArgs, runRollout } from '../../scripts/rollout';
import { PlanJson } from '../../scripts/tofu';
import {
  cloudEnv,
  Deployment,
  imageIds,
  InstanceAction,
  instanceActions,
  inventory,
  Inventory,
  leftovers,
  serverIds,
} from './support';

const env = cloudEnv();
// The deploying user's credentials for everything in this process (tofu, the rollout).
Object.assign(process.env, env);
// Every deploy with forceDestroy: each test's destroy then empties the containers, whatever
// it left in them. Changing it between deploys would itself be a change.
const BASE = { SPARK_FORCE_DESTROY: '1' };
const MASTER = 'analytics-master';
const WORKERS = ['analytics-general-1', 'analytics-general-2', 'analytics-general-3'];
const ALL = [MASTER, ...WORKERS].sort();

/** Deployments a test has not destroyed yet: afterEach destroys them when a test fails midway. */
const open: Deployment[] = [];

function deployExample(): Deployment {
  const deployment = new Deployment(env);
  open.push(deployment);
  const started = Date.now();
  deployment.ok('deploy', 'example', BASE);
  console.log(`example deployed in ${seconds(started)} s`);
  return deployment;
}

function destroyExample(deployment: Deployment): void {
  deployment.ok('destroy', 'example', BASE);
  open.splice(open.indexOf(deployment), 1);
  expect(leftovers(inventory())).toEqual({});
}

afterEach(() => {
  for (const deployment of open.splice(0)) {
    const r = deployment.run('destroy', 'example', BASE);
    if (r.status !== 0) console.error(`cleanup: cdktf destroy exited ${r.status}:\n${r.output.slice(-3000)}`);
  }
});

function seconds(since: number): number {
  return Math.round((Date.now() - since) / 100) / 10;
}

/** Synthesizes the changed configuration, plans it against the cloud and reviews the plan. */
function planChange(deployment: Deployment, settings: Record<string, string>): { plan: PlanJson; review: Review } {
  deployment.synth({ ...BASE, ...settings });
  const plan = deployment.tofu('example').plan();
  const review = reviewPlan('example', plan, deployment.config('example'));
  console.log(renderText(review));
  return { plan, review };
}

/** The plan's actions on each server, by server name. */
function serverActions(plan: PlanJson): Record<string, string[]> {
  return Object.fromEntries(
    (plan.resource_changes ?? [])
      .filter((rc) => rc.type === 'openstack_compute_instance_v2')
      .map((rc) => [String(rc.change.before?.name ?? rc.change.after?.name), rc.change.actions]),
  );
}

/** The servers (by name) that the review's findings of one kind are about. */
function findingServers(plan: PlanJson, review: Review, category: Category): string[] {
  const names = new Map(
    (plan.resource_changes ?? []).map((rc) => [rc.address, String(rc.change.before?.name ?? rc.address)]),
  );
  return review.findings
    .filter((f) => f.category === category)
    .flatMap((f) => f.resources ?? [f.address])
    .map((address) => names.get(address) ?? address)
    .sort();
}

const byName = (inv: Inventory) => Object.fromEntries(inv.servers.map((s) => [s.name, s]));
/** One attribute of every server, as [name, value] pairs in name order. */
const each = <K extends keyof Inventory['servers'][number]>(inv: Inventory, key: K) =>
  inv.servers
    .map((s) => [s.name, s[key]] as [string, Inventory['servers'][number][K]])
    .sort(([a], [b]) => a.localeCompare(b));

/** An action's events all succeeded (Nova records `Success` or `Error` per event). */
function succeeded(action: InstanceAction): boolean {
  return action.events.length > 0 && action.events.every((e) => e.result === 'Success');
}

/** When Nova finished an action: its last event's finish time. */
function finished(action: InstanceAction): string {
  return action.events
    .map((e) => e.finish_time ?? '')
    .sort()
    .slice(-1)[0];
}

/** How long Nova took for an action, in seconds, from its start to its last event's end. */
function took(action: InstanceAction): number {
  return Math.round((Date.parse(finished(action)) - Date.parse(action.start_time)) / 100) / 10;
}

describe('day-2 changes on a real OpenStack', () => {
  it('an image change is reviewed as REBUILD, and Nova rebuilds every server in place: same IDs, the new image', () => {
    const images = imageIds();
    expect(images).toEqual(
      expect.objectContaining({ 'debian-12': expect.any(String), 'debian-12-next': expect.any(String) }),
    );
    const deployment = deployExample();
    const before = inventory();
    const ids = serverIds(before);
    expect(each(before, 'image')).toEqual(ALL.map((name) => [name, images['debian-12']]));

    const { plan, review } = planChange(deployment, { SPARK_IMAGE: 'debian-12-next' });
    // In place, every server at once, master included; nothing replaced.
    expect(serverActions(plan)).toEqual(Object.fromEntries(ALL.map((name) => [name, ['update']])));
    expect(findingServers(plan, review, 'rebuild')).toEqual(ALL);
    expect([...new Set(review.findings.map((f) => f.category))]).toEqual(['rebuild']);
    expect(renderText(review)).toContain(
      'image debian-12 -> debian-12-next: Nova REBUILDS in place these 3 servers at once',
    );
    expect(renderText(review)).toContain('image debian-12 -> debian-12-next: Nova REBUILDS the master in place');

    const started = Date.now();
    const output = deployment.ok('deploy', 'example', { ...BASE, SPARK_IMAGE: 'debian-12-next' });
    console.log(`image change applied in ${seconds(started)} s`);
    expect(output).toMatch(/Apply complete! Resources: 0 added, 4 changed, 0 destroyed/);

    // What Nova did: the same servers, on the same hosts, now on the new image, with the
    // user data they were created with, and a rebuild in each one's record.
    const after = inventory();
    expect(serverIds(after)).toEqual(ids);
    const was = byName(before);
    for (const server of after.servers) {
      expect([server.name, server.status, server.image, server.host, server.user_data]).toEqual([
        server.name,
        'ACTIVE',
        images['debian-12-next'],
        was[server.name].host,
        was[server.name].user_data,
      ]);
    }
    const actions = instanceActions(Object.values(ids));
    for (const [name, id] of Object.entries(ids)) {
      expect([name, actions[id].map((a) => a.action)]).toEqual([name, ['create', 'rebuild']]);
      const rebuild = actions[id][1];
      expect([name, succeeded(rebuild)]).toEqual([name, true]);
      console.log(
        `${name} (${id}) on ${was[name].host}: rebuild ${rebuild.request_id}, ` +
          `events ${rebuild.events.map((e) => `${e.event}@${e.host}=${e.result}`).join(', ')}, ${took(rebuild)} s`,
      );
    }
    // The state now holds the new image: nothing left to do.
    expect(deployment.planExitCode('example').code).toBe(0);
    destroyExample(deployment);
  });

  it('a flavor change is reviewed as RESIZE; Nova refuses a smaller root disk, and resizes the workers in place to a larger flavor', () => {
    const deployment = deployExample();
    const before = inventory();
    const ids = serverIds(before);
    const was = byName(before);
    expect(each(before, 'flavor')).toEqual(ALL.map((name) => [name, name === MASTER ? 'm1.large' : 'm1.xlarge']));
    console.log(
      `hosts: ${each(before, 'host')
        .map(([n, h]) => `${n}@${h}`)
        .join(', ')}`,
    );

    const reviewResize = (flavor: string) => {
      const { plan, review } = planChange(deployment, { SPARK_WORKER_FLAVOR: flavor });
      expect(serverActions(plan)).toEqual({
        [MASTER]: ['no-op'],
        ...Object.fromEntries(WORKERS.map((name) => [name, ['update']])),
      });
      expect(findingServers(plan, review, 'resize')).toEqual(WORKERS);
      const resize = review.findings.find((f) => f.category === 'resize')!;
      expect(resize.message).toContain(`flavor m1.xlarge -> ${flavor}: Nova RESIZES in place these 3 servers at once`);
      expect(resize.message).toContain('On reboot each worker sizes itself from its new vCPUs and RAM');
      expect(review.findings.filter((f) => ['rebuild', 'replace', 'destroy'].includes(f.category))).toEqual([]);
    };

    // m1.xlarge -> m1.large halves the root disk (160 -> 80 GiB). Nova records the disk a
    // server was built with as its image's minimum and refuses the resize at its API.
    reviewResize('m1.large');
    const refused = deployment.run('deploy', 'example', { ...BASE, SPARK_WORKER_FLAVOR: 'm1.large' });
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain(
      'got 400 instead: {"badRequest": {"code": 400, "message": "Flavor\'s disk is smaller than the minimum size specified in image metadata.',
    );
    const untouched = inventory();
    expect(serverIds(untouched)).toEqual(ids);
    expect(each(untouched, 'flavor')).toEqual(each(before, 'flavor'));
    expect(untouched.servers.every((s) => s.status === 'ACTIVE')).toBe(true);
    const none = instanceActions(Object.values(ids));
    expect(Object.values(none).map((list) => list.map((a) => a.action))).toEqual(ALL.map(() => ['create']));
    const saved = deployment
      .stateResources('example')
      .filter((r) => r.type === 'openstack_compute_instance_v2')
      .map((r) => `${String(r.values.name)}=${String(r.values.flavor_name)}`);
    // The provider still saved the new flavor name to the state when Nova refused; the next
    // refreshing plan reads the real flavor back (the review below says m1.xlarge -> ...).
    expect(saved.sort()).toEqual(ALL.map((name) => `${name}=m1.large`));

    // m1.xlarge -> r1.2xlarge: the same disk, four times the RAM.
    reviewResize('r1.2xlarge');
    const started = Date.now();
    const output = deployment.ok('deploy', 'example', { ...BASE, SPARK_WORKER_FLAVOR: 'r1.2xlarge' });
    console.log(`flavor change applied in ${seconds(started)} s`);
    expect(output).toMatch(/Apply complete! Resources: 0 added, 3 changed, 0 destroyed/);

    const after = inventory();
    expect(serverIds(after)).toEqual(ids);
    expect(each(after, 'flavor')).toEqual(ALL.map((name) => [name, name === MASTER ? 'm1.large' : 'r1.2xlarge']));
    expect(after.servers.every((s) => s.status === 'ACTIVE')).toBe(true);
    const actions = instanceActions(Object.values(ids));
    expect(actions[ids[MASTER]].map((a) => a.action)).toEqual(['create']);
    for (const name of WORKERS) {
      const id = ids[name];
      // The provider resizes, waits for VERIFY_RESIZE and confirms.
      expect([name, actions[id].map((a) => a.action)]).toEqual([name, ['create', 'resize', 'confirmResize']]);
      const [, resized, confirmed] = actions[id];
      expect([name, succeeded(resized), succeeded(confirmed)]).toEqual([name, true, true]);
      const host = byName(after)[name].host;
      console.log(
        `${name} (${id}): ${was[name].host} -> ${host}; resize ${took(resized)} s ` +
          `(${resized.events.map((e) => `${e.event}@${e.host}=${e.result}`).join(', ')}), ` +
          `confirmResize ${took(confirmed)} s (${confirmed.events.map((e) => `${e.event}@${e.host}=${e.result}`).join(', ')})`,
      );
      // Nova resizes onto another host unless allow_resize_to_same_host is set.
      expect([name, host === was[name].host]).toEqual([name, false]);
    }
    // Where Nova put the resized workers: the pool's soft anti-affinity only weighs hosts.
    console.log(
      `hosts after the resize: ${each(after, 'host')
        .map(([n, h]) => `${n}@${h}`)
        .join(', ')}`,
    );
    expect(deployment.planExitCode('example').code).toBe(0);
    destroyExample(deployment);
  });

  it('npm run rollout replaces drifted workers two at a time, then the master when asked; Nova records each batch after the last', async () => {
    const deployment = deployExample();
    const initial = serverIds(inventory());
    // A setting rendered into every server's user data: under IGNORE no running server gets it.
    const moved = { SPARK_MIRROR_URL: 'https://mirror.example.org/apache/spark' };
    const { plan, review } = planChange(deployment, moved);
    expect(Object.values(serverActions(plan)).every((a) => a.join() === 'no-op')).toBe(true);
    expect(findingServers(plan, review, 'drift')).toEqual(ALL);

    const lines: string[] = [];
    const log = (line: string) => {
      lines.push(line);
      console.log(line);
    };
    const dir = deployment.stackDir('example');
    let started = Date.now();
    expect(await runRollout(parseRolloutArgs(['example', '--batch', '2', '--dir', dir]), log)).toBe(0);
    console.log(`rollout of 3 workers in batches of 2: ${seconds(started)} s`);
    const text = lines.join('\n');
    expect(text).toContain(
      'batch 1: general-1 (misses a configuration change), general-2 (misses a configuration change)',
    );
    expect(text).toContain('batch 2: general-3 (misses a configuration change)');
    expect(text).toContain(
      'the master (analytics) misses a configuration change: not replaced without --include-master',
    );
    // The fake hypervisor boots nothing: no master answers. The rollout says so and goes on.
    expect(text).toMatch(/\[rollout\] analytics: http:\/\/172\.24\.4\.\d+:8080\/json(: | answered HTTP )\S/);
    for (const key of ['general-1', 'general-2', 'general-3']) {
      expect(text).toContain(
        `[rollout] ${key}: registration not checked: the master's web UI (analytics) gives no worker list from here`,
      );
    }
    expect(text).toContain('[rollout] replaced 3 server(s)');

    const rolled = inventory();
    const ids = serverIds(rolled);
    expect(Object.keys(ids)).toEqual(ALL);
    expect(ids[MASTER]).toBe(initial[MASTER]);
    for (const name of WORKERS) expect([name, ids[name]]).toEqual([name, expect.not.stringMatching(initial[name])]);
    expect(rolled.servers.every((s) => s.status === 'ACTIVE')).toBe(true);

    // Nova's own record: each batch's old servers deleted, then its new ones created and
    // ACTIVE, before the next batch's old server was deleted.
    const actions = instanceActions([...WORKERS.map((n) => initial[n]), ...WORKERS.map((n) => ids[n])]);
    const act = (id: string, action: string) => actions[id].find((a) => a.action === action)!;
    for (const name of WORKERS) {
      expect([name, actions[initial[name]].map((a) => a.action)]).toEqual([name, ['create', 'delete']]);
      expect([name, actions[ids[name]].map((a) => a.action)]).toEqual([name, ['create']]);
      expect(succeeded(act(ids[name], 'create'))).toBe(true);
      expect(act(initial[name], 'delete').start_time < act(ids[name], 'create').start_time).toBe(true);
      console.log(
        `${name}: ${initial[name]} deleted ${act(initial[name], 'delete').start_time}, ` +
          `${ids[name]} created ${act(ids[name], 'create').start_time}, built by ${finished(act(ids[name], 'create'))}`,
      );
    }
    const secondBatchStarts = act(initial['analytics-general-3'], 'delete').start_time;
    for (const name of ['analytics-general-1', 'analytics-general-2']) {
      expect([name, finished(act(ids[name], 'create')) < secondBatchStarts]).toEqual([name, true]);
    }

    // Only the master still misses the change; the plan itself is empty (IGNORE).
    const { review: left } = planChange(deployment, moved);
    expect(left.findings.map((f) => [f.category, findingServers(plan, left, f.category)])).toEqual([
      ['drift', [MASTER]],
    ]);
    expect(deployment.planExitCode('example').code).toBe(0);

    // The master last, alone, when asked.
    lines.length = 0;
    started = Date.now();
    expect(await runRollout(parseRolloutArgs(['example', '--include-master', '--dir', dir]), log)).toBe(0);
    console.log(`rollout of the master: ${seconds(started)} s`);
    expect(lines.join('\n')).toContain('batch 1: master (misses a configuration change)');
    const final = inventory();
    const finalIds = serverIds(final);
    expect(finalIds[MASTER]).not.toBe(initial[MASTER]);
    for (const name of WORKERS) expect(finalIds[name]).toBe(ids[name]);
    expect(final.servers.every((s) => s.status === 'ACTIVE')).toBe(true);
    // The floating IP stays on the master's port, so the new master has the public address.
    const masterPort = final.ports.find((p) => p.device_id === finalIds[MASTER])!;
    expect(final.floating_ips).toEqual([expect.objectContaining({ port_id: masterPort.id, fixed_ip: '10.42.0.10' })]);

    const { review: done } = planChange(deployment, moved);
    expect(done.findings).toEqual([]);
    expect(deployment.planExitCode('example').code).toBe(0);
    destroyExample(deployment);
  });
});
