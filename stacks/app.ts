import { App } from 'cdktf';
import { ExampleStack } from './example';
import { ExistingNetworkStack } from './existing-network';
import { MultiPoolStack } from './multi-pool';

// `cdktf synth` runs this file (see cdktf.json). Each stack lands in cdktf.out/stacks/<id>.
const app = new App();
new ExampleStack(app, 'example');
new ExistingNetworkStack(app, 'existing-network');
new MultiPoolStack(app, 'multi-pool');
app.synth();
