import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { mergeContributions, SparkBootstrap, SparkVersion } from '../lib';
import { clusterWithWorkers } from './support/fixtures';
import { filesOf, fillTemplate, userDataOf } from './support/user-data';

const bootstrap = new SparkBootstrap({ sparkVersion: SparkVersion.V3_5_7, masterIp: '10.42.0.10' });
const sparkDefaults = { 'spark.master': 'spark://10.42.0.10:7077' };
const envOf = (cloudConfig: string) => filesOf(cloudConfig)['/etc/spark-bootstrap/bootstrap.env'].content;

describe('capability contributions', () => {
  it('merges contributions in order', () => {
    const a = { name: 'a', content: '[Service]\n' };
    const b = { name: 'b', content: '[Service]\n' };
    const file = { path: '/etc/x', content: 'x\n' };
    expect(
      mergeContributions([{ services: [a], packages: ['p'] }, { services: [b], files: [file], packages: ['p'] }, {}]),
    ).toEqual({
      packages: ['p'],
      services: [a, b],
      files: [file],
    });
  });

  it("writes a contributed service's unit after the node's own and starts it after Spark's", () => {
    const rendered = bootstrap
      .worker({
        sizing: { workerCores: 1, workerMemoryMiB: 1024 } as never,
        sparkDefaults,
        contributions: [{ services: [{ name: 'extra', content: '[Service]\nExecStart=/bin/true\n' }] }],
      })
      .render();
    const paths = (parse(rendered).write_files as { path: string }[]).map((f) => f.path);
    expect(paths.indexOf('/etc/systemd/system/extra.service')).toBeGreaterThan(
      paths.indexOf('/etc/systemd/system/spark-worker.service'),
    );
    expect(envOf(rendered)).toMatch(/^SERVICES='spark-worker extra'$/m);
  });

  it('refuses a contributed service named with its .service suffix', () => {
    expect(() =>
      bootstrap.master({ sparkDefaults, contributions: [{ services: [{ name: 'x.service', content: '' }] }] }),
    ).toThrow(/service names are lower-case systemd names without \.service, got "?x\.service/);
  });

  it('adds the history server through the object-storage capability, on the master only', () => {
    const { stack, cluster } = clusterWithWorkers(1, {
      objectStorage: { s3Endpoint: 'https://object.example.com' },
      monitoring: { metrics: false },
    });
    const userData = userDataOf(Testing.synth(stack));
    const [master] = Object.entries(userData).filter(([name]) => name.includes('Master'));
    const [worker] = Object.entries(userData).filter(([name]) => name.includes('Workers'));
    expect(envOf(fillTemplate(master[1]))).toMatch(/^SERVICES='spark-master spark-history'$/m);
    expect(envOf(fillTemplate(worker[1]))).toMatch(/^SERVICES=spark-worker$/m);
    expect(cluster.sparkDefaults()['spark.history.ui.port']).toBe('18080');
  });
});
