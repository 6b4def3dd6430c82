/**
 * `npm run cloud -- realize`: the hypervisor's half of the local cloud. Nova's fake driver
 * reports servers ACTIVE without running anything; this makes each ACTIVE server a host that
 * boots for real (scripts/cloud/hosts.sh): on a bridge for its network, with its port's MAC and
 * fixed IP, the vCPUs and RAM of its flavor, a loop device per attached volume, and cloud-init
 * reading its user data and metadata from Nova's metadata API. Hosts whose server is gone (or
 * whose port changed) are removed; hosts of servers that did not change are not touched. Run it
 * after every `cdktf deploy` on the local cloud; it is idempotent.
 *
 * Power follows Nova, as a hypervisor's would: a SHUTOFF server's host is powered off and keeps
 * its disk, volumes and address; when the server is ACTIVE again the same disk boots. The fake
 * driver completes a reboot at once and the server stays ACTIVE, so a reboot is seen in the
 * server's instance actions: a reboot (or stop and start) that this host has not been through
 * yet power-cycles it, with a clean shutdown first (Nova's API does not say soft or hard).
 * Servers in other states (ERROR, RESIZE, RESCUE...) keep their host as it is.
 *
 * It also routes each realized network from this machine through the cloud's namespace, so
 * that fixed IPs answer here, and forwards each floating IP bound to a realized port to its
 * fixed IP (the L3 agent's job on a real cloud).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { overlaps, parseIpv4Cidr } from '../../lib/private/cidr';
import { REPO_ROOT } from '../tools-env';

const CLOUD_SH = path.join(REPO_ROOT, 'scripts', 'cloud', 'cloud.sh');
const HOSTS_SH = path.join(REPO_ROOT, 'scripts', 'cloud', 'hosts.sh');
/** The cloud's address, the next hop from here to every realized network. */
const CLOUD_IP = '10.254.0.2';
const CLOUD_LINK = 'spcloud0';

/** One server as scripts/cloud/hypervisor.py reports it. */
export interface HypervisorServer {
  readonly id: string;
  readonly name: string;
  /** Nova's status: ACTIVE, SHUTOFF, REBOOT, ERROR... */
  readonly status: string;
  readonly hostname: string;
  readonly project_id: string;
  readonly vcpus: number;
  readonly ram_mib: number;
  readonly ports: {
    readonly id: string;
    readonly mac: string;
    readonly network_id: string;
    readonly addresses: { readonly ip: string; readonly cidr: string; readonly gateway: string | null }[];
    readonly floating_ips: { readonly address: string; readonly fixed_ip: string }[];
  }[];
  readonly volumes: { readonly id: string; readonly size_gib: number | null }[];
  /** Nova's instance actions of the server, newest first. */
  readonly actions: { readonly request_id: string; readonly action: string }[];
}

/** What one host is made of; a host whose spec changed is made again. */
export interface HostSpec {
  /** hosts.sh's name: the server ID's first 10 hex digits. */
  readonly name: string;
  readonly serverId: string;
  readonly serverName: string;
  readonly hostname: string;
  readonly bridge: string;
  readonly ip: string;
  readonly cidr: string;
  readonly gateway: string;
  readonly mac: string;
  readonly vcpus: number;
  readonly ramMiB: number;
  /** `<volume-id>=<GiB>`, in attachment order. */
  readonly volumes: string[];
}

/**
 * What realize did with a server's host: `started` (made and booted by this run), `kept`
 * (running already with the same spec), `rebooted` (power-cycled for a reboot Nova recorded),
 * `restarted` (the kept disk booted again: the server was started, or the host was not
 * running), `stopped` (powered off by this run: the server is SHUTOFF), `off` (powered off
 * already, and it stays so).
 */
export type HostAction = 'started' | 'kept' | 'rebooted' | 'restarted' | 'stopped' | 'off';

/** A host of a server, as realize leaves it. */
export interface RealizedHost extends HostSpec {
  readonly action: HostAction;
}

/** Instance actions after which the guest has been through a power cycle. */
const POWER_ACTIONS = new Set(['reboot', 'stop', 'start']);

/** How a server's host should be, from Nova's status; `hold`: left as it is. */
export function wantedPower(status: string): 'on' | 'off' | 'hold' {
  if (['ACTIVE', 'REBOOT', 'HARD_REBOOT'].includes(status)) return 'on';
  return status === 'SHUTOFF' ? 'off' : 'hold';
}

export interface RealizeResult {
  /** Hosts of the servers, running or powered off. */
  readonly hosts: RealizedHost[];
  /** hosts.sh names of the hosts removed (their server is gone or changed). */
  readonly removed: string[];
  /** Servers that could not be realized, and why. */
  readonly skipped: { readonly server: string; readonly reason: string }[];
  readonly floatingIps: { readonly address: string; readonly fixedIp: string }[];
}

function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8', input, timeout: 300_000, maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().slice(-4000);
    throw new Error(`${path.basename(args[0] ?? command)} ${args.slice(1).join(' ')} failed: ${output}`);
  }
  return result.stdout;
}

const hosts = (...args: string[]) => run('bash', [HOSTS_SH, ...args]);
const cloudExec = (...args: string[]) => run('bash', [CLOUD_SH, 'exec', ...args]);

/** The host a server becomes, or why it cannot be one. */
export function hostSpec(server: HypervisorServer): HostSpec | { reason: string } {
  const port = server.ports.find((p) => p.addresses.length > 0);
  if (!port) return { reason: 'no port with an IPv4 address' };
  const address = port.addresses[0];
  if (!address.gateway) {
    return { reason: `subnet ${address.cidr} has no gateway: hosts reach Nova's metadata through it` };
  }
  if (!parseIpv4Cidr(address.cidr)) return { reason: `subnet ${address.cidr} is not an IPv4 CIDR` };
  const unknownSize = server.volumes.find((v) => !v.size_gib);
  if (unknownSize) return { reason: `volume ${unknownSize.id} has no size` };
  const id = server.id.replace(/-/g, '');
  return {
    name: id.slice(0, 10),
    serverId: server.id,
    serverName: server.name,
    hostname: server.hostname,
    bridge: `spcb-${port.network_id.replace(/-/g, '').slice(0, 10)}`,
    ip: address.ip,
    cidr: address.cidr,
    gateway: address.gateway,
    mac: port.mac,
    vcpus: server.vcpus,
    ramMiB: server.ram_mib,
    volumes: server.volumes.map((v) => `${v.id}=${v.size_gib}`),
  };
}

/** True when two IPv4 CIDRs share an address; false when either is not a canonical IPv4 CIDR. */
function cidrsOverlap(a: string, b: string): boolean {
  const [x, y] = [parseIpv4Cidr(a), parseIpv4Cidr(b)];
  return x !== undefined && y !== undefined && overlaps(x, y);
}

/** Routes of this machine that overlap `cidr` and do not go to the cloud (docker, a VPN...). */
function conflictingRoutes(cidr: string): string[] {
  const routes = JSON.parse(run('ip', ['-j', '-4', 'route', 'show'])) as { dst: string; dev?: string }[];
  return routes
    .filter((r) => r.dst !== 'default' && r.dev !== CLOUD_LINK)
    .filter((r) => cidrsOverlap(r.dst.includes('/') ? r.dst : `${r.dst}/32`, cidr))
    .map((r) => `${r.dst} dev ${r.dev ?? '?'}`);
}

/** Where realize records what a host was made of (beside the host's root). */
function specFile(name: string): string {
  return path.join(hosts('root', name).trim(), '..', 'spec.json');
}

/** Request IDs of the instance actions a host has been through (beside the host's root). */
function seenFile(name: string): string {
  return path.join(hosts('root', name).trim(), '..', 'actions-seen.json');
}

function readSeen(name: string): Set<string> {
  try {
    return new Set(JSON.parse(fs.readFileSync(seenFile(name), 'utf8')) as string[]);
  } catch {
    return new Set();
  }
}

function writeSeen(name: string, server: HypervisorServer): void {
  fs.writeFileSync(seenFile(name), JSON.stringify(server.actions.map((a) => a.request_id)));
}

/** What realize made the host `name` of; undefined for a host it did not finish making. */
export function readSpec(name: string): HostSpec | undefined {
  try {
    return JSON.parse(fs.readFileSync(specFile(name), 'utf8')) as HostSpec;
  } catch {
    return undefined;
  }
}

/** Makes the hosts match the cloud's servers; see the file's comment. */
export function realize(log: (line: string) => void = () => undefined): RealizeResult {
  const servers = JSON.parse(run('bash', [CLOUD_SH, 'hypervisor'])) as HypervisorServer[];
  const specs: HostSpec[] = [];
  const skipped: { server: string; reason: string }[] = [];
  const serverOf = new Map<string, HypervisorServer>();
  for (const server of servers) {
    const spec = hostSpec(server);
    if (!('reason' in spec)) {
      specs.push(spec);
      serverOf.set(spec.name, server);
    } else if (wantedPower(server.status) === 'on') skipped.push({ server: server.name, reason: spec.reason });
  }
  // One namespace holds every bridge: two networks with overlapping subnets cannot both be
  // realized (their gateways would collide). The first network seen wins; the rest wait.
  const cidrOfBridge = new Map<string, string>();
  for (const spec of [...specs]) {
    const clash = [...cidrOfBridge].find(([bridge, cidr]) => bridge !== spec.bridge && cidrsOverlap(cidr, spec.cidr));
    if (clash) {
      skipped.push({
        server: spec.serverName,
        reason: `its subnet ${spec.cidr} overlaps ${clash[1]} of another realized network`,
      });
      specs.splice(specs.indexOf(spec), 1);
    } else cidrOfBridge.set(spec.bridge, spec.cidr);
  }
  const wanted = new Map(specs.map((s) => [s.name, s]));

  const removed: string[] = [];
  // Hosts that exist, running or powered off, with what they were made of.
  const existing = new Map<string, HostSpec | undefined>();
  for (const name of hosts('list').split('\n').filter(Boolean)) existing.set(name, readSpec(name));
  for (const [name, spec] of existing) {
    const want = wanted.get(name);
    if (want && spec && JSON.stringify(spec) === JSON.stringify(want)) continue;
    log(
      `removing host ${name} (${spec?.serverName ?? 'unknown'}): ${want ? 'its server changed' : 'its server is gone'}`,
    );
    hosts('remove', name);
    existing.delete(name);
    removed.push(name);
  }

  // Bridges of networks that no wanted host is on (deleted networks) still hold their gateway.
  for (const bridge of hosts('bridges').split('\n').filter(Boolean)) {
    if (!cidrOfBridge.has(bridge)) {
      log(`removing bridge ${bridge}: no server on its network`);
      hosts('net-del', bridge);
    }
  }

  const realized: RealizedHost[] = [];
  const routed = new Set<string>();
  for (const spec of specs) {
    const server = serverOf.get(spec.name)!;
    const power = wantedPower(server.status);
    if (existing.has(spec.name)) {
      realized.push({ ...spec, action: powerHost(spec, server, power, log) });
      continue;
    }
    if (power !== 'on') {
      // No disk here yet (never realized, or its spec changed while it was not running).
      log(`not starting a host for ${spec.serverName}: its server is ${server.status}`);
      continue;
    }
    const prefix = spec.cidr.split('/')[1];
    // What an earlier run left half made (no record of it): its namespace, mounts, loops.
    hosts('remove', spec.name);
    hosts('net', spec.bridge, `${spec.gateway}/${prefix}`);
    hosts('add', spec.name, spec.bridge, `${spec.ip}/${prefix}`, spec.mac, spec.gateway);
    hosts('boot', spec.name, spec.hostname, String(spec.vcpus), String(spec.ramMiB), ...spec.volumes);
    fs.writeFileSync(specFile(spec.name), JSON.stringify(spec));
    writeSeen(spec.name, server);
    log(
      `started host ${spec.name} for ${spec.serverName} at ${spec.ip}${spec.volumes.length ? ` with ${spec.volumes.length} volume(s)` : ''}`,
    );
    realized.push({ ...spec, action: 'started' });
  }
  const hostNames = new Set(realized.map((h) => h.name));
  for (const spec of specs.filter((s) => hostNames.has(s.name))) {
    if (routed.has(spec.cidr)) continue;
    routed.add(spec.cidr);
    const conflicts = conflictingRoutes(spec.cidr);
    if (conflicts.length > 0) {
      log(`not routing ${spec.cidr} from here (it overlaps ${conflicts.join(', ')}): use the floating IPs`);
      continue;
    }
    run('ip', ['route', 'replace', spec.cidr, 'via', CLOUD_IP]);
  }

  const floatingIps = servers
    .filter((s) => hostNames.has(s.id.replace(/-/g, '').slice(0, 10)))
    .flatMap((s) => s.ports.flatMap((p) => p.floating_ips))
    .map((f) => ({ address: f.address, fixedIp: f.fixed_ip }));
  cloudExec('iptables', '-t', 'nat', '-F', 'SPCLOUD-FIP');
  for (const f of floatingIps) {
    cloudExec(
      'iptables',
      '-t',
      'nat',
      '-A',
      'SPCLOUD-FIP',
      '-d',
      `${f.address}/32`,
      '-j',
      'DNAT',
      '--to-destination',
      f.fixedIp,
    );
  }
  for (const s of skipped) log(`not realized: ${s.server}: ${s.reason}`);
  return { hosts: realized, removed, skipped, floatingIps };
}

/** Brings an existing host to the power its server's status asks for; returns what it did. */
function powerHost(
  spec: HostSpec,
  server: HypervisorServer,
  power: 'on' | 'off' | 'hold',
  log: (line: string) => void,
): HostAction {
  const isRunning = hosts('state', spec.name).trim() === 'running';
  // In another state (ERROR, RESIZE...) nothing is acted on, and nothing is marked seen.
  if (power === 'hold') return isRunning ? 'kept' : 'off';
  const seen = readSeen(spec.name);
  const unseen = server.actions.filter((a) => POWER_ACTIONS.has(a.action) && !seen.has(a.request_id));
  let action: HostAction;
  if (power === 'off') {
    if (isRunning) {
      log(`stopping host ${spec.name} (${spec.serverName}): its server is ${server.status}`);
      hosts('stop', spec.name);
      action = 'stopped';
    } else action = 'off';
  } else if (!isRunning) {
    log(`booting host ${spec.name} (${spec.serverName}) again from its kept disk`);
    hosts('start', spec.name);
    action = 'restarted';
  } else if (unseen.length > 0) {
    log(`rebooting host ${spec.name} (${spec.serverName}): Nova recorded ${unseen.map((a) => a.action).join(', ')}`);
    hosts('reboot', spec.name);
    action = 'rebooted';
  } else action = 'kept';
  writeSeen(spec.name, server);
  return action;
}

if (require.main === module) {
  try {
    const result = realize((line) => console.error(`[realize] ${line}`));
    const count = (...actions: HostAction[]) => result.hosts.filter((h) => actions.includes(h.action)).length;
    const off = count('stopped', 'off');
    console.error(
      `[realize] ${result.hosts.length - off} host(s) running (${count('started')} started, ` +
        `${count('rebooted', 'restarted')} rebooted or restarted), ${off} powered off, ${result.removed.length} removed, ` +
        `${result.skipped.length} server(s) not realized; look inside with: npm run cloud -- hosts exec <name> <command>`,
    );
    for (const h of result.hosts) console.log(`${h.name}\t${h.serverName}\t${h.ip}\t${h.action}`);
    process.exit(result.skipped.length > 0 ? 1 : 0);
  } catch (e) {
    console.error(`[realize] error: ${(e as Error).message}`);
    process.exit(1);
  }
}
