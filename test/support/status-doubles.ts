/**
 * TEST DOUBLES for the status command (scripts/status.ts): a fake Spark master that serves a
 * `/json/` page shaped like Spark 3.5's (ALIVE, or STANDBY or recovering as one of several
 * masters with ZooKeeper recovery), a fake Prometheus that serves `/api/v1/alerts`, and a page
 * that is not JSON where a master should be, all on loopback. The status against a real Spark
 * master and Prometheus runs in the boot test (test/cloud/boot.cloud.ts).
 */
import * as http from 'http';

export interface FakeWorker {
  readonly host: string;
  readonly state?: 'ALIVE' | 'DEAD' | 'DECOMMISSIONED';
  readonly cores?: number;
  readonly coresused?: number;
  readonly memory?: number;
  readonly memoryused?: number;
}

/** A loopback HTTP server answering `routes[path]` (a content type and a body); any other path is a 404. */
export class FakeHttpServer {
  /** What each answer waits for (to show that several servers are read at once). */
  protected gate: () => Promise<void> = () => Promise.resolve();
  private readonly server: http.Server;
  constructor(private readonly routes: Record<string, () => { contentType: string; body: string }>) {
    this.server = http.createServer((req, res) => {
      const route = this.routes[req.url ?? ''];
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      const { contentType, body } = route();
      void this.gate().then(() => res.writeHead(200, { 'content-type': contentType }).end(body));
    });
  }

  /** Starts listening; resolves with the server's base URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback HTTP server answering `routes[path]` as JSON; any other path is a 404. */
export class FakeJsonServer extends FakeHttpServer {
  constructor(routes: Record<string, () => unknown>) {
    super(
      Object.fromEntries(
        Object.entries(routes).map(([path, answer]) => [
          path,
          () => ({ contentType: 'application/json', body: JSON.stringify(answer()) }),
        ]),
      ),
    );
  }
}

/**
 * What stands at a master's address but is not one: `/json/` answers with an HTML page, as a
 * proxy's sign-in page or a misrouted load balancer would.
 */
export class FakeHtmlPage extends FakeHttpServer {
  constructor() {
    super({ '/json/': () => ({ contentType: 'text/html', body: '<html><body>Sign in to continue</body></html>' }) });
  }
}

/** What Spark's standalone master reports as its `status` (Spark's RecoveryState). */
export type FakeMasterStatus = 'ALIVE' | 'STANDBY' | 'RECOVERING' | 'COMPLETING_RECOVERY';

/**
 * A fake Spark standalone master: `/json/` with its workers, applications and status (default
 * ALIVE). A standby master lists no workers and no applications, as Spark's does.
 */
export class FakeSparkMaster extends FakeJsonServer {
  constructor(state: {
    workers: FakeWorker[];
    apps?: { name: string; state: 'RUNNING' | 'WAITING' }[];
    status?: FakeMasterStatus;
    /** Answers only once this resolves. */
    gate?: () => Promise<void>;
  }) {
    super({
      '/json/': () => {
        const workers = state.workers.map((w) => ({
          id: `worker-20261201-${w.host}-7078`,
          host: w.host,
          port: 7078,
          webuiaddress: `http://${w.host}:8081`,
          cores: w.cores ?? 8,
          coresused: w.coresused ?? 0,
          coresfree: (w.cores ?? 8) - (w.coresused ?? 0),
          memory: w.memory ?? 14336,
          memoryused: w.memoryused ?? 0,
          memoryfree: (w.memory ?? 14336) - (w.memoryused ?? 0),
          state: w.state ?? 'ALIVE',
          lastheartbeat: 1764590000000,
        }));
        const alive = workers.filter((w) => w.state === 'ALIVE');
        const sum = (key: 'cores' | 'coresused' | 'memory' | 'memoryused') => alive.reduce((n, w) => n + w[key], 0);
        return {
          url: 'spark://10.42.0.10:7077',
          workers,
          aliveworkers: alive.length,
          cores: sum('cores'),
          coresused: sum('coresused'),
          memory: sum('memory'),
          memoryused: sum('memoryused'),
          activeapps: (state.apps ?? []).map((a, i) => ({
            id: `app-20261201-000${i}`,
            name: a.name,
            cores: 4,
            state: a.state,
          })),
          completedapps: [],
          activedrivers: [],
          completeddrivers: [],
          status: state.status ?? 'ALIVE',
        };
      },
    });
    if (state.gate) this.gate = state.gate;
  }

  /** One of the standby masters of a cluster with ZooKeeper recovery. */
  static standby(gate?: () => Promise<void>): FakeSparkMaster {
    return new FakeSparkMaster({ workers: [], status: 'STANDBY', gate });
  }
}

/** A fake Prometheus: `/api/v1/alerts` with the given alerts. */
export class FakePrometheus extends FakeJsonServer {
  constructor(alerts: { alertname: string; instance?: string; state: 'firing' | 'pending' }[]) {
    super({
      '/api/v1/alerts': () => ({
        status: 'success',
        data: {
          alerts: alerts.map((a) => ({
            labels: { alertname: a.alertname, ...(a.instance ? { instance: a.instance } : {}) },
            annotations: {},
            state: a.state,
            activeAt: '2026-12-01T12:00:00Z',
            value: '1e+00',
          })),
        },
      }),
    });
  }
}
