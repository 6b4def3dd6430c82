/**
 * One synth, in its own process, so the parent measures whole-process time and peak memory:
 * `node dist/bench/synth-child.js <cluster|baseline> <pools> <workersPerPool> <outdir>`.
 * Prints `{"maxRssKiB": ...}` when done.
 */
import { App } from 'cdktf';
import { baselineStack, clusterStack } from './fixtures';

const [kind, pools, perPool, outdir] = process.argv.slice(2);
const app = new App({ outdir });
if (kind === 'baseline') baselineStack(app, Number(pools) * Number(perPool), 11800);
else clusterStack(app, Number(pools), Number(perPool));
app.synth();
console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
