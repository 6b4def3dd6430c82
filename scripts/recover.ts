/**
 * `npm run recover -- <stack> [--dry-run]`: after an interrupted apply, removes the servers
 * that the apply created but never recorded, so the next apply converges.
 *
 * Every server of the library boots on a port that Terraform created first. An apply that is
 * interrupted (Ctrl-C on `cdktf deploy`, a killed CI job) after Nova accepted a server but
 * before tofu wrote it to the state leaves that server running on the port; the next apply
 * then fails with Nova's "Port ... is still in use" and never creates a duplicate. This finds
 * each port in the stack's state whose Nova server is not in the state, and deletes that
 * server: it was created seconds before the interruption, holds no data (volumes are attached
 * by later resources), and the next apply boots its replacement with the same user data.
 * It reads and deletes through the OpenStack APIs with the deploying user's credentials
 * (OS_CLOUD and clouds.yaml, or OS_* variables), exactly as the provider does.
 *
 * It deletes only what is unmistakably such a server: on a port the stack manages (not a
 * data source), named as the library names a port's server (the port's own name), carrying
 * the library's `spark:role` metadata, and not in the state. Run it when no apply is running.
 */
import * as path from 'path';
import { OpenStackClient } from './openstack-api';
import { Tofu } from './tofu';
import { REPO_ROOT } from './tools-env';

interface StateResource {
  readonly address: string;
  readonly mode?: string;
  readonly type: string;
  readonly values: Record<string, unknown>;
}

interface StateModule {
  readonly resources?: StateResource[];
  readonly child_modules?: StateModule[];
}

/** Every resource of `tofu show -json`'s state, child modules included. */
export function stateResources(module: StateModule | undefined): StateResource[] {
  if (!module) return [];
  return [...(module.resources ?? []), ...(module.child_modules ?? []).flatMap(stateResources)];
}

/** A server that holds one of the stack's ports but is not in the stack's state. */
export interface Orphan {
  readonly serverId: string;
  readonly serverName: string;
  readonly portAddress: string;
  readonly portId: string;
}

/** The parts of the state recovery reads: the ports and the IDs of the servers it knows. */
export function stateView(resources: readonly StateResource[]): { ports: StateResource[]; serverIds: Set<string> } {
  const managed = resources.filter((r) => (r.mode ?? 'managed') === 'managed');
  return {
    ports: managed.filter((r) => r.type === 'openstack_networking_port_v2'),
    serverIds: new Set(
      managed.filter((r) => r.type === 'openstack_compute_instance_v2').map((r) => String(r.values.id)),
    ),
  };
}

/** Finds the orphans: asks Neutron which server holds each of the stack's ports. */
export async function findOrphans(client: OpenStackClient, resources: readonly StateResource[]): Promise<Orphan[]> {
  const { ports, serverIds } = stateView(resources);
  const orphans: Orphan[] = [];
  for (const port of ports) {
    const { status, body } = await client.request('network', 'GET', `/v2.0/ports/${String(port.values.id)}`);
    if (status === 404) continue; // the next apply recreates a port that is gone
    if (status >= 300)
      throw new Error(`Neutron: GET port ${String(port.values.id)}: ${status} ${JSON.stringify(body)}`);
    const { device_id: deviceId, device_owner: owner } = (body as { port: { device_id: string; device_owner: string } })
      .port;
    if (!deviceId || !owner.startsWith('compute:') || serverIds.has(deviceId)) continue;
    const server = await client.request('compute', 'GET', `/servers/${deviceId}`);
    if (server.status === 404) continue; // already gone
    if (server.status >= 300)
      throw new Error(`Nova: GET server ${deviceId}: ${server.status} ${JSON.stringify(server.body)}`);
    const { name, metadata } = (server.body as { server: { name: string; metadata?: Record<string, string> } }).server;
    // The library names a server as its port, and tags it: anything else is not ours to delete.
    if (name !== port.values.name || !metadata?.['spark:role']) continue;
    orphans.push({ serverId: deviceId, serverName: name, portAddress: port.address, portId: String(port.values.id) });
  }
  return orphans;
}

/** Deletes one orphan and waits (at most `timeoutS`) until Nova has released its port. */
export async function removeOrphan(client: OpenStackClient, orphan: Orphan, timeoutS = 300): Promise<void> {
  const deleted = await client.request('compute', 'DELETE', `/servers/${orphan.serverId}`);
  if (deleted.status !== 204 && deleted.status !== 404) {
    throw new Error(`Nova refused to delete ${orphan.serverId}: ${deleted.status} ${JSON.stringify(deleted.body)}`);
  }
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const port = await client.request('network', 'GET', `/v2.0/ports/${orphan.portId}`);
    if (port.status === 404) return;
    if (port.status >= 300)
      throw new Error(`Neutron: GET port ${orphan.portId}: ${port.status} ${JSON.stringify(port.body)}`);
    if ((port.body as { port: { device_id?: string } }).port.device_id !== orphan.serverId) return;
    if (Date.now() > deadline)
      throw new Error(`port ${orphan.portId} still held by ${orphan.serverId} after ${timeoutS} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function recover(
  stack: string,
  options: { dryRun: boolean; dir?: string },
  log: (line: string) => void = console.log,
): Promise<Orphan[]> {
  const dir = options.dir ?? path.join(REPO_ROOT, 'cdktf.out', 'stacks', stack);
  const tofu = new Tofu(dir, { credentials: 'inherit' });
  tofu.init();
  const shown = JSON.parse(tofu.run(['show', '-json'])) as {
    values?: { root_module?: { resources?: StateResource[] } };
  };
  const resources = shown.values?.root_module?.resources ?? [];
  const client = new OpenStackClient();
  const orphans = await findOrphans(client, resources);
  if (orphans.length === 0) {
    log(`[recover] ${stack}: every server on the stack's ports is in the state; nothing to do`);
    return orphans;
  }
  for (const orphan of orphans) {
    log(
      `[recover] ${stack}: server ${orphan.serverName} (${orphan.serverId}) holds port ${orphan.portAddress} but is not in the state`,
    );
    if (!options.dryRun) {
      await removeOrphan(client, orphan);
      log(`[recover] deleted ${orphan.serverId}; the next deploy boots its replacement`);
    }
  }
  return orphans;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const stack = args.find((a) => !a.startsWith('--')) ?? 'example';
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--dry-run');
  if (unknown.length > 0) {
    console.error(`recover: unknown option ${unknown[0]}; usage: npm run recover -- <stack> [--dry-run]`);
    process.exit(1);
  }
  recover(stack, { dryRun: args.includes('--dry-run') }).then(
    () => undefined,
    (err: unknown) => {
      console.error(`recover: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
