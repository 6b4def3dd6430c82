import { App } from 'cdktf';
import { ExampleStack } from './example';

// `cdktf synth` runs this file (see cdktf.json). Each stack lands in cdktf.out/stacks/<id>.
const app = new App();
new ExampleStack(app, 'example');
app.synth();
