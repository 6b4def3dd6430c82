// Real deploys on the local cloud (scripts/cloud/cloud.sh): `cdktf deploy` and `cdktf destroy`
// as the non-admin user, every check against the cloud's own APIs. The tests run in order and
// build on each other's state, as a user's day-2 changes do.
import { recover } from '../../scripts/recover';
import {
  asDeployingUser,
  cloudEnv,
  Deployment,
  ec2Credential,
  inventory,
  Inventory,
  leftovers,
  s3,
  serverIds,
  setComputeQuota,
  sha1,
  SynthesizedConfig,
  templateMatcher,
  waitFor,
} from './support';

const env = cloudEnv();
// The deploying user's credentials for everything in this process (recover, tofu).
Object.assign(process.env, env);
const deployment = new Deployment(env);
const s3Endpoint = env.SPARK_S3_ENDPOINT;
const workerNames = (pool: string, n: number) => Array.from({ length: n }, (_, i) => `analytics-${pool}-${i + 1}`);

/** The name a `${openstack_networking_secgroup_v2.<id>.id}` reference points to. */
function groupName(config: SynthesizedConfig, ref: unknown): string | null {
  if (typeof ref !== 'string') return null;
  const id = /openstack_networking_secgroup_v2\.([^.]+)\.id/.exec(ref)?.[1];
  return id ? String(config.resource.openstack_networking_secgroup_v2[id].name) : null;
}

/** Ingress rules as (group, protocol, ports, peer), from the config or from the cloud. */
function declaredRules(config: SynthesizedConfig): string[] {
  return Object.values(config.resource.openstack_networking_secgroup_rule_v2).map((r) =>
    [
      groupName(config, r.security_group_id),
      r.protocol,
      r.port_range_min ?? '-',
      r.port_range_max ?? '-',
      r.remote_ip_prefix ?? groupName(config, r.remote_group_id),
    ].join(' '),
  );
}
function cloudRules(inv: Inventory): string[] {
  return inv.rules
    .filter((r) => r.direction === 'ingress' && r.group !== 'default')
    .map((r) =>
      [
        r.group,
        r.protocol,
        r.port_range_min ?? '-',
        r.port_range_max ?? '-',
        r.remote_ip_prefix ?? r.remote_group,
      ].join(' '),
    );
}

/** A destroyed project holds nothing of ours, and Neutron's own default group. */
function expectEmpty(inv: Inventory): void {
  expect(leftovers(inv)).toEqual({});
  expect(inv.security_groups).toEqual(['default']);
}

describe('the example stack on a real OpenStack', () => {
  let initialIds: Record<string, string> = {};

  it('deploys as the non-admin user, and the cloud holds what was synthesized', () => {
    const output = deployment.ok('deploy', 'example');
    expect(output).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed/);
    const inv = inventory();
    const config = deployment.config('example');
    initialIds = serverIds(inv);

    expect(inv.servers.map((s) => s.name).sort()).toEqual([...workerNames('general', 3), 'analytics-master']);
    for (const server of inv.servers) {
      expect([server.name, server.status, server.key_name]).toEqual([server.name, 'ACTIVE', 'analytics']);
    }
    const master = inv.servers.find((s) => s.name === 'analytics-master')!;
    expect(master.flavor).toBe('m1.large');
    expect(master.metadata).toMatchObject({ 'spark:cluster': 'analytics', 'spark:role': 'master' });

    // Ports: the master's fixed address and groups; workers in the worker groups.
    const portOf = (server: string) => inv.ports.find((p) => p.device_id === server)!;
    expect(portOf(master.id)).toMatchObject({
      fixed_ips: ['10.42.0.10'],
      security_groups: ['analytics-spark-internal', 'analytics-spark-master'],
    });
    for (const worker of inv.servers.filter((s) => s.name !== 'analytics-master')) {
      expect(portOf(worker.id).security_groups).toEqual(['analytics-spark-internal', 'analytics-spark-workers']);
      expect(worker.metadata).toMatchObject({
        'spark:cluster': 'analytics',
        'spark:role': 'worker',
        'spark:pool': 'general',
      });
    }
    // The pool's server group holds exactly its workers.
    expect(inv.server_groups).toEqual([
      expect.objectContaining({ name: 'analytics-general', policy: 'soft-anti-affinity' }),
    ]);
    expect([...inv.server_groups[0].members].sort()).toEqual(
      inv.servers
        .filter((s) => s.name.startsWith('analytics-general-'))
        .map((s) => s.id)
        .sort(),
    );
    // Every declared rule, and no other, as Neutron stores it.
    expect(cloudRules(inv).sort()).toEqual(declaredRules(config).sort());
    expect(cloudRules(inv)).toContain('analytics-spark-internal tcp - - analytics-spark-internal');
    // The floating IP is associated with the master's port.
    expect(inv.floating_ips).toEqual([
      expect.objectContaining({ port_id: portOf(master.id).id, fixed_ip: '10.42.0.10' }),
    ]);
    expect(inv.routers).toEqual([expect.objectContaining({ name: 'analytics', external_gateway: true })]);
    // Containers, and the event-log marker the history server needs.
    expect(inv.containers).toEqual([
      { name: 'analytics-spark-data', objects: [] },
      { name: 'analytics-spark-events', objects: ['spark-events/.keep'] },
    ]);

    // The EC2 credential Terraform made reads and writes the data container through s3api.
    const state = deployment.stateResources('example');
    const credential = ec2Credential(state);
    expect(inv.ec2_credentials.map((c) => c.access)).toEqual([credential.access]);
    expect(s3(s3Endpoint, credential, 'PUT', 'analytics-spark-data/probe.txt', 'written through s3api').status).toBe(
      200,
    );
    expect(s3(s3Endpoint, credential, 'GET', 'analytics-spark-data/probe.txt')).toEqual({
      status: 200,
      body: 'written through s3api',
    });
    expect(s3(s3Endpoint, credential, 'DELETE', 'analytics-spark-data/probe.txt').status).toBe(204);
    expect(s3(s3Endpoint, { ...credential, secret: 'wrong' }, 'GET', 'analytics-spark-data/').status).toBe(403);

    // The user data Nova holds is what was synthesized, with Terraform's values filled in,
    // and what the state's hash says was sent.
    const servers = config.resource.openstack_compute_instance_v2;
    const masterTemplate = Object.entries(servers).find(([id]) => id.includes('Master'))![1].user_data as string;
    const workerTemplate = Object.entries(servers).find(([id]) => id.includes('Workers_general'))![1]
      .user_data as string;
    for (const server of inv.servers) {
      const template = server.name === 'analytics-master' ? masterTemplate : workerTemplate;
      expect(server.user_data).toMatch(templateMatcher(template));
      const inState = state.find((r) => r.type === 'openstack_compute_instance_v2' && r.values.id === server.id)!;
      expect(inState.values.user_data).toBe(sha1(server.user_data!));
    }
    // References (the auth secret, the S3 keys) were filled in, not sent as text.
    expect(master.user_data).not.toMatch(/terraform_data\.|openstack_identity_ec2_credential_v3\./);
  });

  it('plans no change right after the apply', () => {
    const plan = deployment.planExitCode('example');
    expect(plan.output).toContain('No changes.');
    expect(plan.code).toBe(0);
  });

  it('scaling 3 -> 5 -> 3 creates and deletes only the last workers; every other server keeps its ID', () => {
    deployment.ok('deploy', 'example', { SPARK_WORKERS: '5' });
    const five = serverIds(inventory());
    expect(Object.keys(five)).toEqual([...workerNames('general', 5), 'analytics-master'].sort());
    for (const [name, id] of Object.entries(initialIds)) expect([name, five[name]]).toEqual([name, id]);

    deployment.ok('deploy', 'example', { SPARK_WORKERS: '3' });
    expect(serverIds(inventory())).toEqual(initialIds);
    expect(deployment.planExitCode('example').code).toBe(0);
  });

  it('adding a pool creates only its servers and server group; removing it deletes only those', () => {
    deployment.ok('deploy', 'example', { CLOUD_TEST_EXTRA_POOL: '1' });
    const inv = inventory();
    const ids = serverIds(inv);
    expect(Object.keys(ids)).toEqual(
      [...workerNames('general', 3), ...workerNames('highmem', 2), 'analytics-master'].sort(),
    );
    for (const [name, id] of Object.entries(initialIds)) expect(ids[name]).toBe(id);
    expect(inv.server_groups.map((g) => g.name).sort()).toEqual(['analytics-general', 'analytics-highmem']);

    deployment.ok('deploy', 'example');
    expect(serverIds(inventory())).toEqual(initialIds);
  });

  it('an apply interrupted with SIGINT halfway leaves no duplicate, and converges after npm run recover', async () => {
    const run = deployment.start('example', { SPARK_WORKERS: '6' });
    const exited = new Promise<number | null>((resolve) => run.child.on('exit', (code) => resolve(code)));
    // Interrupt as Ctrl-C would (the whole process group) as tofu starts creating the servers.
    const creating = () => {
      if (run.child.exitCode !== null)
        throw new Error(`cdktf deploy ended before it was interrupted:\n${run.output()}`);
      return /Servers[^\n]*\["general-[456]"\]: Creating/.test(run.output());
    };
    await waitFor('tofu creating the new workers', 300, creating);
    process.kill(-run.child.pid!, 'SIGINT');
    expect(await exited).not.toBe(0);
    expect(run.output()).toMatch(/Interrupt received|interrupted|aborted/i);
    // Never two servers for one worker, whatever the interruption hit.
    const during = inventory().servers.map((s) => s.name);
    expect(new Set(during).size).toBe(during.length);

    // cdktf can stop tofu before it records servers Nova already accepted. They hold their
    // ports, so a plain re-run is refused by Nova instead of booting a duplicate; recover
    // deletes them. (An interruption before Nova accepted any leaves none: recover says so.)
    const orphans = await recover('example', { dryRun: true, dir: deployment.stackDir('example') }, () => undefined);
    console.log(`interrupted apply: ${orphans.length} server(s) Nova accepted that the state does not hold`);
    if (orphans.length > 0) {
      const refused = deployment.run('deploy', 'example', { SPARK_WORKERS: '6' });
      expect(refused.status).not.toBe(0);
      expect(refused.output).toMatch(/Port [0-9a-f-]+ is still in use/);
    }
    const lines: string[] = [];
    const removed = await recover('example', { dryRun: false, dir: deployment.stackDir('example') }, (l) =>
      lines.push(l),
    );
    expect(removed.map((o) => o.serverId).sort()).toEqual(orphans.map((o) => o.serverId).sort());
    for (const orphan of orphans) {
      expect(lines.join('\n')).toContain(`server ${orphan.serverName} (${orphan.serverId}) holds port`);
    }
    expect(await recover('example', { dryRun: true, dir: deployment.stackDir('example') }, () => undefined)).toEqual(
      [],
    );

    deployment.ok('deploy', 'example', { SPARK_WORKERS: '6' });
    const inv = inventory();
    const names = inv.servers.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...workerNames('general', 6), 'analytics-master'].sort());
    expect(inv.servers.every((s) => s.status === 'ACTIVE')).toBe(true);
    for (const [name, id] of Object.entries(initialIds)) expect(serverIds(inv)[name]).toBe(id);
    expect(deployment.planExitCode('example').code).toBe(0);
  });

  it('recover deletes a server the state lost, so a refused apply converges', async () => {
    // The end state of an apply stopped between Nova accepting a server and tofu recording
    // it, made on purpose: the interruption above can land on either side of that moment.
    const before = serverIds(inventory());
    const lost = deployment
      .stateResources('example')
      .find((r) => r.type === 'openstack_compute_instance_v2' && r.index === 'general-6')!;
    deployment.tofu('example').run(['state', 'rm', lost.address]);

    const refused = deployment.run('deploy', 'example', { SPARK_WORKERS: '6' });
    expect(refused.status).not.toBe(0);
    expect(refused.output).toMatch(/Port [0-9a-f-]+ is still in use/);
    expect(serverIds(inventory())).toEqual(before); // refused: no duplicate was booted

    const lines: string[] = [];
    const removed = await recover('example', { dryRun: false, dir: deployment.stackDir('example') }, (l) =>
      lines.push(l),
    );
    expect(removed.map((o) => [o.serverName, o.serverId])).toEqual([
      ['analytics-general-6', before['analytics-general-6']],
    ]);
    expect(lines[0]).toMatch(
      /server analytics-general-6 \(.*\) holds port .*Ports.*\["general-6"\] but is not in the state/,
    );
    expect(await recover('example', { dryRun: true, dir: deployment.stackDir('example') }, () => undefined)).toEqual(
      [],
    );

    deployment.ok('deploy', 'example', { SPARK_WORKERS: '6' });
    const after = serverIds(inventory());
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(after['analytics-general-6']).not.toBe(before['analytics-general-6']);
    for (const name of Object.keys(before).filter((n) => n !== 'analytics-general-6'))
      expect(after[name]).toBe(before[name]);
    expect(deployment.planExitCode('example').code).toBe(0);
  });

  it("a quota too small for the pool fails with the cloud's message, and succeeds once raised; nothing is lost", () => {
    const before = serverIds(inventory()); // master + 6 workers
    // A quota with no room left: Nova refuses every new server at its API. (With some room
    // but not enough, parallel creates all pass the API's check, Nova's recheck puts the
    // surplus servers in ERROR, and the provider prints no reason: see the README.)
    setComputeQuota(env.SPARK_LOCAL_CLOUD_PROJECT_ID, { instances: 7 });
    try {
      const failed = deployment.run('deploy', 'example', { SPARK_WORKERS: '9' });
      expect(failed.status).not.toBe(0);
      expect(failed.output).toMatch(/Quota exceeded for instances/);
      const during = serverIds(inventory());
      for (const [name, id] of Object.entries(before)) expect(during[name]).toBe(id);
    } finally {
      setComputeQuota(env.SPARK_LOCAL_CLOUD_PROJECT_ID, { instances: 250 });
    }
    deployment.ok('deploy', 'example', { SPARK_WORKERS: '9' });
    const after = serverIds(inventory());
    expect(Object.keys(after)).toHaveLength(10);
    for (const [name, id] of Object.entries(before)) expect(after[name]).toBe(id);

    deployment.ok('deploy', 'example', { SPARK_WORKERS: '3' });
    expect(serverIds(inventory())).toEqual(initialIds);
  });

  it('a container that holds objects blocks destroy; once emptied, destroy leaves the project holding nothing', () => {
    const credential = ec2Credential(deployment.stateResources('example'));
    expect(s3(s3Endpoint, credential, 'PUT', 'analytics-spark-data/results/part-0', 'data').status).toBe(200);
    const blocked = deployment.run('destroy', 'example');
    expect(blocked.status).not.toBe(0);
    expect(blocked.output).toMatch(
      /analytics-spark-data[\s\S]*(409|Conflict|not empty)|(409|Conflict|not empty)[\s\S]*analytics-spark-data/i,
    );
    expect(inventory().containers.find((c) => c.name === 'analytics-spark-data')?.objects).toEqual(['results/part-0']);

    // The blocked destroy went on with everything that does not depend on the container, so
    // the EC2 credential may be gone: the owner empties the container through Swift's own API.
    asDeployingUser(['openstack', 'object', 'delete', 'analytics-spark-data', 'results/part-0']);
    deployment.ok('destroy', 'example');
    expectEmpty(inventory());
  });
});

describe('the multi-pool stack on a real OpenStack', () => {
  it('attaches every volume to its server and keeps the hard anti-affinity pool on distinct hosts', () => {
    deployment.ok('deploy', 'multi-pool', { SPARK_FORCE_DESTROY: '1' });
    const inv = inventory();
    const byId = Object.fromEntries(inv.servers.map((s) => [s.id, s]));
    const general = Array.from({ length: 8 }, (_, i) => `batch-general-${i + 1}`);
    const highmem = ['batch-highmem-1', 'batch-highmem-2'];
    expect(inv.servers.map((s) => s.name).sort()).toEqual(['batch-master', ...general, ...highmem].sort());
    expect(inv.servers.every((s) => s.status === 'ACTIVE')).toBe(true);

    // One volume per general worker (200 GiB) and one for the master (50 GiB), each in use by its server.
    const attached = Object.fromEntries(
      inv.volumes.map((v) => [v.name, [v.size, v.status, v.attached_to.map((id) => byId[id]?.name)]]),
    );
    expect(attached).toEqual({
      ...Object.fromEntries(general.map((name) => [`${name}-local`, [200, 'in-use', [name]]])),
      'batch-master-local': [50, 'in-use', ['batch-master']],
    });
    // Hard anti-affinity: the two high-memory workers on different compute hosts.
    const hosts = highmem.map((name) => inv.servers.find((s) => s.name === name)!.host);
    expect(new Set(hosts).size).toBe(2);
    expect(inv.server_groups.map((g) => [g.name, g.policy, g.members.length]).sort()).toEqual([
      ['batch-general', 'soft-anti-affinity', 8],
      ['batch-highmem', 'anti-affinity', 2],
    ]);
    expect(deployment.planExitCode('multi-pool').code).toBe(0);
  });

  it('with forceDestroy, destroy empties the containers and leaves nothing behind', () => {
    const credential = ec2Credential(deployment.stateResources('multi-pool'));
    expect(s3(s3Endpoint, credential, 'PUT', 'batch-spark-data/results/part-0', 'data').status).toBe(200);
    deployment.ok('destroy', 'multi-pool', { SPARK_FORCE_DESTROY: '1' });
    expectEmpty(inventory());
  });
});
