// The app the deploy tests run through `cdktf deploy --app`: the example, multi-pool and
// high-availability stacks as stacks/app.ts builds them (settings from the environment:
// SPARK_WORKERS, SPARK_FORCE_DESTROY, the local cloud's SPARK_*, and SPARK_STATE_DIR, the
// test's own directory), and one test-only switch: CLOUD_TEST_EXTRA_POOL=1 adds a second pool
// to the example.
import { App, LocalBackend, TerraformStack } from 'cdktf';
import * as path from 'path';
import { Flavor } from '../../lib';
import { ExampleStack } from '../../stacks/example';
import { HighAvailabilityStack } from '../../stacks/high-availability';
import { MultiPoolStack } from '../../stacks/multi-pool';

const stateDir = process.env.SPARK_STATE_DIR;
if (!stateDir) throw new Error('SPARK_STATE_DIR is not set: run this app through test/cloud/support.ts');

const app = new App();
const example = new ExampleStack(app, 'example');
if (process.env.CLOUD_TEST_EXTRA_POOL === '1') {
  example.cluster.addWorkerPool('highmem', {
    count: 2,
    flavor: Flavor.of({ name: 'r1.2xlarge', vcpus: 8, ramMiB: 65536 }),
  });
}
const multiPool = new MultiPoolStack(app, 'multi-pool');
const highAvailability = new HighAvailabilityStack(app, 'high-availability');
for (const stack of [example, multiPool, highAvailability] as TerraformStack[]) {
  new LocalBackend(stack, { path: path.join(stateDir, `${stack.node.id}.tfstate`) });
}
app.synth();
