import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');

describe('the package', () => {
  it('is importable by name from the built output, with its bootstrap assets', () => {
    // npm test builds dist/ first (npm run build); `exports` lets the package require itself.
    if (!fs.existsSync(path.join(root, 'dist', 'lib', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
    }
    const lib = require('cdktf-spark-openstack');
    for (const name of [
      'SparkCluster',
      'SparkWorkerPool',
      'SparkNetwork',
      'SparkMaster',
      'SparkContainer',
      'CloudConfig',
      'SparkVersion',
      'Flavor',
    ]) {
      expect({ name, type: typeof lib[name] }).toEqual({ name, type: 'function' });
    }
    expect(fs.existsSync(path.join(root, 'dist', 'lib', 'assets', 'spark-bootstrap.sh'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'dist', 'lib', 'index.d.ts'))).toBe(true);
  });

  it('configures no provider and emits no output inside the library (stacks do that)', () => {
    const libDir = path.join(root, 'lib');
    const files = fs
      .readdirSync(libDir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'));
    for (const file of files) {
      const text = fs.readFileSync(path.join(libDir, file), 'utf8');
      expect({ file, provider: /new (OpenstackProvider|TerraformOutput)\b/.test(text) }).toEqual({
        file,
        provider: false,
      });
    }
  });
});
