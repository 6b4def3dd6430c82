import { DataResource, Fn, Lazy, LocalBackend, TerraformOutput, TerraformStack, Testing, Token } from 'cdktf';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { estimateGzipUserDataBytes, NOVA_USER_DATA_LIMIT } from '../lib';
import { base64GzipExpression, escapeTerraformTemplate } from '../lib/private/terraform';
import { Tofu } from '../scripts/tofu';
import { clusterWithWorkers, resourcesOf } from './support/fixtures';
import { synthStackDir } from './support/harness';
import { cloudInitSchema, filesOf, fillTemplate, userDataOf } from './support/user-data';

describe('user data over the limit, sent gzip-compressed', () => {
  it('is what the real OpenTofu compresses, byte for byte: quotes, backslashes, ${ }, %{ }, tabs, non-ASCII, references, functions', () => {
    const stack = new TerraformStack(Testing.app(), 'gzip');
    const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'gzip-state-'));
    new LocalBackend(stack, { path: path.join(dir, 'terraform.tfstate') });
    const data = new DataResource(stack, 'Value', { input: { value: 's3cr3t' } });
    const reference = Token.asString(data.output.lookup('value'));
    const literal = 'a "quoted" \\ back\\slash\n${SHELL} $${kept} %{ not_a_directive }\ttab é ✓\r\n\u0001end';
    // A reference, a function of a reference (cdktf renders those bare inside an expression,
    // which is why the template is resolved first), and a sensitive one, as user data has them.
    const template = `${literal} secret=${reference} b64=${Fn.base64encode(reference)} s=${Fn.sensitive(reference)}\n`;
    new TerraformOutput(stack, 'user_data', {
      value: Lazy.stringValue({
        produce: (context) => base64GzipExpression(context.resolve(escapeTerraformTemplate(template)) as string),
      }),
      sensitive: true,
    });
    const tofu = new Tofu(synthStackDir(stack));
    tofu.init();
    tofu.run(['apply', '-auto-approve', '-input=false', '-no-color']);
    const encoded = JSON.parse(tofu.run(['output', '-json', 'user_data']));
    expect(gunzipSync(Buffer.from(encoded, 'base64')).toString('utf8')).toBe(
      `${literal} secret=s3cr3t b64=${Buffer.from('s3cr3t').toString('base64')} s=s3cr3t\n`,
    );
  });

  it('compresses only a node over the limit, and the compressed one still holds a valid cloud-config', () => {
    // 70 KB of compressible settings: over the limit plain, far under it compressed.
    const big = 'spark.sql.warehouse.dir /data/warehouse '.repeat(1700);
    const { stack } = clusterWithWorkers(1, { sparkConf: { 'spark.big': big } });
    const synthesized = Testing.synth(stack);
    const raw = JSON.parse(synthesized).resource.openstack_compute_instance_v2 as Record<string, { user_data: string }>;
    for (const server of Object.values(raw)) expect(server.user_data).toMatch(/^\$\{base64gzip\("#cloud-config\\n/);
    // userDataOf unwraps the expression back into the template Terraform compresses.
    for (const template of Object.values(userDataOf(synthesized))) {
      const text = fillTemplate(template);
      expect(filesOf(text)['/etc/spark/conf/spark-defaults.conf'].content).toContain(`spark.big ${big}`);
      expect(cloudInitSchema(text).ok).toBe(true);
    }
    const small = Testing.synth(clusterWithWorkers(1).stack);
    for (const server of Object.values(resourcesOf(small, 'openstack_compute_instance_v2'))) {
      expect(server.user_data).toMatch(/^#cloud-config\n/);
    }
  });

  it('counts each reference as 64 random hex digits, so a secret-heavy config is not underestimated', () => {
    const withTokens = '#cloud-config\n' + '${TfToken[TOKEN.1]}\n'.repeat(800);
    const plain = '#cloud-config\n' + 'x'.repeat(64 * 800);
    // Random hex carries 4 bits a character: gzip cannot take it below half its size.
    expect(estimateGzipUserDataBytes(withTokens)).toBeGreaterThan(((64 * 800) / 2) * (4 / 3));
    expect(estimateGzipUserDataBytes(plain)).toBeLessThan(2000);
  });

  it('still refuses a node whose user data is over the limit even compressed', () => {
    const noise = randomBytes(60_000).toString('base64');
    expect(() => Testing.synth(clusterWithWorkers(1, { sparkConf: { 'spark.noise': noise } }).stack)).toThrow(
      new RegExp(
        `user data is \\d+ bytes in base64 \\(about \\d+ gzip-compressed\\), over Nova's limit of ${NOVA_USER_DATA_LIMIT}`,
      ),
    );
  });
});
