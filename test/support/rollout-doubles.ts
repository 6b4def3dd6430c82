/**
 * TEST DOUBLES for the rollout (scripts/rollout.ts): a scripted stand-in for tofu, Nova and
 * the Spark masters, with a fake clock. Nothing here talks to a cloud or runs tofu; the
 * rollout against a real cloud is still to be proven on the local OpenStack (issue 12).
 */
import { MasterWorker, RolloutDeps } from '../../scripts/rollout';

export interface ScriptedServer {
  /** The private address the (new) server gets. */
  readonly ip: string;
  /** The statuses Nova reports for the new server, one per poll; the last one repeats. */
  readonly statuses?: string[];
  /** Polls of the master until the new worker registers (`never` for a worker that does not). */
  readonly registersAfter?: number | 'never';
  /** The master: it registers nobody; the workers stay registered with it. */
  readonly master?: boolean;
}

/** A scripted cloud: what each replaced server does, and a log of every call the rollout made. */
export class ScriptedCloudAndTofu implements RolloutDeps {
  readonly calls: string[] = [];
  private clock = 0;
  private generation = 0;
  private readonly ids = new Map<string, string>();
  private readonly polls = new Map<string, number>();
  private readonly registered: MasterWorker[] = [];

  constructor(
    private readonly script: Record<string, ScriptedServer>,
    private readonly options: { masterReachable?: boolean; applyFails?: string } = {},
  ) {
    for (const [address, s] of Object.entries(script)) {
      this.ids.set(address, `old-${address}`);
      if (!s.master) this.registered.push({ id: `worker-old-${s.ip}`, host: s.ip, state: 'ALIVE' });
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

  async masterWorkers(): Promise<MasterWorker[] | undefined> {
    if (this.options.masterReachable === false) return undefined;
    // Each poll of the master moves the new workers one step closer to registering.
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
    return [...this.registered];
  }

  async sleep(ms: number): Promise<void> {
    this.clock += ms;
  }

  now(): number {
    return this.clock;
  }
}
