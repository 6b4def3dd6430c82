/**
 * TEST DOUBLES for the rollout (scripts/rollout.ts): a scripted stand-in for tofu, Nova and
 * the Spark masters, with a fake clock. Nothing here talks to a cloud or runs tofu; the
 * rollout against a real cloud is still to be proven on the local OpenStack (issue 12).
 *
 * The masters: without any in the script, one implicit ALIVE master; with one, that master,
 * which answers ALIVE with every worker again as soon as it is replaced; with several
 * (standby masters), one ALIVE and the others STANDBY. A replaced standby's new server
 * answers STANDBY after a few polls; replacing the ALIVE one makes the first STANDBY master
 * RECOVERING for a few polls, then ALIVE with the workers (a failover).
 */
import { MasterApp, MasterReading, MasterWorker, RolloutDeps } from '../../scripts/rollout';

export interface ScriptedServer {
  /** The private address the (new) server gets. */
  readonly ip: string;
  /** The statuses Nova reports for the new server, one per poll; the last one repeats. */
  readonly statuses?: string[];
  /** Polls of the master until the new worker registers (`never` for a worker that does not). */
  readonly registersAfter?: number | 'never';
  /** A master: it registers nobody; the workers stay registered with the ALIVE one. */
  readonly master?: boolean;
  /** A master's label in what the masters answer. @default - its address */
  readonly label?: string;
  /**
   * What a master's web UI answers before the rollout.
   * @default - the script's first master ALIVE, the others STANDBY
   */
  readonly masterStatus?: 'ALIVE' | 'STANDBY' | 'RECOVERING' | 'unreachable';
  /**
   * Polls of the masters after one of several masters is replaced until its new server answers
   * STANDBY (`never` for a standby that never comes back).
   * @default 1
   */
  readonly standbyAfter?: number | 'never';
}

export interface ScriptedCloudOptions {
  /** `false`: no master's web UI answers. */
  readonly masterReachable?: boolean;
  /** The server whose apply fails. */
  readonly applyFails?: string;
  /**
   * Polls of the masters after the ALIVE one of several is replaced until a standby is ALIVE
   * (RECOVERING meanwhile); `never` for a failover that never completes.
   * @default 2
   */
  readonly failoverAfter?: number | 'never';
  /** Workers (by address) that do not re-register with the new ALIVE master after a failover. */
  readonly lostInFailover?: string[];
  /** The applications the ALIVE master lists as active. */
  readonly apps?: MasterApp[];
  /** Applications (by id) whose driver does not re-register after a failover: the new master ends them. */
  readonly appsLostInFailover?: string[];
  /**
   * A standby master (by address) whose replacement interrupts the ALIVE master's ZooKeeper
   * session: the ALIVE one gives up leadership, restarts as a standby, and another takes over.
   */
  readonly leaderLostWith?: string;
}

/** A scripted cloud: what each replaced server does, and a log of every call the rollout made. */
export class ScriptedCloudAndTofu implements RolloutDeps {
  readonly calls: string[] = [];
  private clock = 0;
  private generation = 0;
  private readonly ids = new Map<string, string>();
  private readonly polls = new Map<string, number>();
  private readonly registered: MasterWorker[] = [];
  private readonly masterStatus = new Map<string, string>();
  /** Replaced masters whose new server does not answer yet, and the polls since. */
  private readonly booting = new Map<string, number>();
  private failover?: { to?: string; polls: number };
  private apps: MasterApp[];

  constructor(
    private readonly script: Record<string, ScriptedServer>,
    private readonly options: ScriptedCloudOptions = {},
  ) {
    this.apps = [...(options.apps ?? [])];
    let first = true;
    for (const [address, s] of Object.entries(script)) {
      this.ids.set(address, `old-${address}`);
      if (!s.master) this.registered.push({ id: `worker-old-${s.ip}`, host: s.ip, state: 'ALIVE' });
      else {
        this.masterStatus.set(address, s.masterStatus ?? (first ? 'ALIVE' : 'STANDBY'));
        first = false;
      }
    }
  }

  replace(servers: string[], attachments: string[]): void {
    this.calls.push(
      `apply -replace ${servers.join(' ')}${attachments.length ? ` +attach ${attachments.join(' ')}` : ''}`,
    );
    if (this.options.applyFails && servers.includes(this.options.applyFails)) {
      throw new Error(`tofu apply failed on ${this.options.applyFails}`);
    }
    for (const address of servers) {
      this.generation += 1;
      this.ids.set(address, `new-${this.generation}`);
      this.polls.set(address, 0);
      // The old worker leaves the master when its server is deleted.
      const ip = this.script[address].ip;
      for (let i = this.registered.length - 1; i >= 0; i--)
        if (this.registered[i].host === ip) this.registered.splice(i, 1);
      if (this.script[address].master && this.masterStatus.size > 1) {
        const alive = [...this.masterStatus.entries()].find(([, st]) => st === 'ALIVE')?.[0];
        const leaving = [address, ...(address === this.options.leaderLostWith && alive ? [alive] : [])];
        if (alive && leaving.includes(alive)) {
          const to = [...this.masterStatus.entries()].find(([a, st]) => !leaving.includes(a) && st === 'STANDBY');
          this.failover = { to: to?.[0], polls: 0 };
        }
        for (const a of leaving) {
          this.masterStatus.set(a, 'unreachable');
          this.booting.set(a, 0);
        }
      }
    }
  }

  servers(): Map<string, { id: string; ip: string }> {
    return new Map(Object.entries(this.script).map(([a, s]) => [a, { id: this.ids.get(a)!, ip: s.ip }]));
  }

  async serverStatus(id: string): Promise<string> {
    const address = [...this.ids.entries()].find(([, v]) => v === id)![0];
    const n = this.polls.get(address) ?? 0;
    this.polls.set(address, n + 1);
    this.calls.push(`status ${address}`);
    const statuses = this.script[address].statuses ?? ['ACTIVE'];
    return statuses[Math.min(n, statuses.length - 1)];
  }

  async masters(): Promise<MasterReading[]> {
    this.registerNewWorkers();
    this.advanceFailover();
    for (const [address, n] of this.booting) {
      const after = this.script[address].standbyAfter ?? 1;
      this.booting.set(address, n + 1);
      if (after !== 'never' && n + 1 >= after) {
        this.masterStatus.set(address, 'STANDBY');
        this.booting.delete(address);
      }
    }
    if (this.masterStatus.size === 0) return [this.reading('master', 'ALIVE')];
    return [...this.masterStatus.entries()].map(([address, status]) =>
      this.reading(this.script[address].label ?? address, status),
    );
  }

  async sleep(ms: number): Promise<void> {
    this.clock += ms;
  }

  now(): number {
    return this.clock;
  }

  private reading(label: string, status: string): MasterReading {
    if (this.options.masterReachable === false) {
      return { label, status: 'unreachable', why: 'ECONNREFUSED', workers: [], apps: [] };
    }
    if (status === 'unreachable') return { label, status, why: 'ECONNREFUSED', workers: [], apps: [] };
    if (status === 'ALIVE') return { label, status, workers: [...this.registered], apps: [...this.apps] };
    // A recovering master lists the workers it recovered, not yet heard from; a standby lists nobody.
    const workers = status === 'RECOVERING' ? this.registered.map((w) => ({ ...w, state: 'UNKNOWN' })) : [];
    return { label, status, workers, apps: [] };
  }

  /** Each poll of the masters moves the new workers one step closer to registering. */
  private registerNewWorkers(): void {
    for (const [address, s] of Object.entries(this.script)) {
      if (s.master) continue;
      const id = this.ids.get(address)!;
      if (!id.startsWith('new-') || s.registersAfter === 'never') continue;
      const key = `register ${address}`;
      const n = (this.polls.get(key) ?? 0) + 1;
      this.polls.set(key, n);
      if (n > (s.registersAfter ?? 0) && !this.registered.some((w) => w.id === `worker-${id}`)) {
        this.registered.push({ id: `worker-${id}`, host: s.ip, state: 'ALIVE' });
      }
    }
  }

  /** The standby taking over recovers for a few polls, then is ALIVE with the workers and drivers that came back. */
  private advanceFailover(): void {
    if (!this.failover?.to) return;
    this.failover.polls += 1;
    const after = this.options.failoverAfter ?? 2;
    if (after === 'never' || this.failover.polls <= after) {
      this.masterStatus.set(this.failover.to, 'RECOVERING');
      return;
    }
    const lost = new Set((this.options.lostInFailover ?? []).map((a) => this.script[a].ip));
    for (let i = this.registered.length - 1; i >= 0; i--)
      if (lost.has(this.registered[i].host)) this.registered.splice(i, 1);
    const ended = new Set(this.options.appsLostInFailover ?? []);
    this.apps = this.apps.filter((a) => !ended.has(a.id));
    this.masterStatus.set(this.failover.to, 'ALIVE');
    this.failover = undefined;
  }
}
