import { App, LocalBackend, TerraformStack } from 'cdktf';
import * as path from 'path';
import { ExampleStack } from './example';
import { ExistingNetworkStack } from './existing-network';
import { HighAvailabilityStack } from './high-availability';
import { MultiPoolStack } from './multi-pool';

// `cdktf synth` runs this file (see cdktf.json). Each stack lands in cdktf.out/stacks/<id>.
const app = new App();
const stacks: TerraformStack[] = [
  new ExampleStack(app, 'example'),
  new ExistingNetworkStack(app, 'existing-network'),
  new MultiPoolStack(app, 'multi-pool'),
  new HighAvailabilityStack(app, 'high-availability'),
];
// SPARK_STATE_DIR keeps each stack's state in <dir>/<stack>.tfstate instead of cdktf's default
// ./terraform.<stack>.tfstate: the local cloud's env file sets it, so a deploy to the local cloud
// never shares a state file with a deploy to your own cloud.
const stateDir = process.env.SPARK_STATE_DIR;
if (stateDir) {
  for (const stack of stacks) new LocalBackend(stack, { path: path.join(stateDir, `${stack.node.id}.tfstate`) });
}
app.synth();
