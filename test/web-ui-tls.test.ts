import { TerraformVariable, Testing } from 'cdktf';
import { spawnSync } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { SparkCluster, SparkConfigError, SparkWebUiTlsOptions } from '../lib';
import { clusterProps, clusterWithWorkers, newStack, resourcesOf, XLARGE } from './support/fixtures';
import { tofuFor, synthStackDir } from './support/harness';
import { makeTestCertificate } from './support/tls';
import { cloudInitSchema, filesOf, fillTemplate, userDataOf } from './support/user-data';

const cert = makeTestCertificate('IP:10.42.0.10,IP:10.42.0.21,DNS:spark.example.com');
const other = makeTestCertificate('IP:10.42.0.10');
const tls: SparkWebUiTlsOptions = { certificateChainPem: cert.chainPem, privateKeyPem: cert.keyPem };
const ADMIN = '203.0.113.0/24';
/** A line from the middle of the key's base64 body: present wherever the key leaked. */
const keyBody = cert.keyPem.split('\n')[2];

afterAll(() => {
  for (const c of [cert, other]) fs.rmSync(c.dir, { recursive: true, force: true });
});

function tlsCluster(webUiTls: SparkWebUiTlsOptions = tls) {
  return clusterWithWorkers(2, {
    webUiTls,
    access: { webUiFrom: [ADMIN] },
    objectStorage: { s3Endpoint: 'https://object.example.com' },
  });
}

/** Ingress ports (min-max) the rules of a security group open, by the group's name part. */
function openPorts(synthesized: string, group: string): string[] {
  return Object.entries(resourcesOf(synthesized, 'openstack_networking_secgroup_rule_v2'))
    .filter(([name]) => name.includes(`Security_${group}_`))
    .map(([, r]) => `${r.port_range_min}-${r.port_range_max}`)
    .sort();
}

describe('web UI TLS', () => {
  it('serves every UI from the node keystore, each Spark TLS namespace configured in full', () => {
    const { stack, cluster } = tlsCluster();
    // Each namespace in full: Spark 3.5 does not carry spark.ssl.* defaults into them.
    for (const ns of ['standalone', 'ui', 'historyServer']) {
      expect(cluster.sparkDefaults()).toMatchObject({
        [`spark.ssl.${ns}.enabled`]: 'true',
        [`spark.ssl.${ns}.keyStore`]: '/etc/spark/tls/ui.p12',
        [`spark.ssl.${ns}.keyStoreType`]: 'PKCS12',
        // Public on purpose (SECURITY.md): the keystore's file mode protects the key.
        [`spark.ssl.${ns}.keyStorePassword`]: 'spark-web-ui-not-a-secret',
        [`spark.ssl.${ns}.keyPassword`]: 'spark-web-ui-not-a-secret',
      });
    }
    // Not the global switch, which would also turn on TLS for RPC in Spark 4.
    expect(cluster.sparkDefaults()['spark.ssl.enabled']).toBeUndefined();
    for (const template of Object.values(userDataOf(Testing.synth(stack)))) {
      const conf = filesOf(fillTemplate(template))['/etc/spark/conf/spark-defaults.conf'].content;
      expect(conf).toContain('spark.ssl.ui.enabled true\n');
    }
    expect(cluster.masterWebUiUrl).toMatch(/^https:\/\/.*:8480$/);
    expect(cluster.historyServerUrl).toMatch(/^https:\/\/.*:18480$/);
  });

  it('opens the HTTPS ports to webUiFrom, and no plain HTTP UI port', () => {
    const synthesized = Testing.synth(tlsCluster().stack);
    expect(openPorts(synthesized, 'Master')).toEqual(['18480-18480', '4440-4449', '8480-8480']);
    expect(openPorts(synthesized, 'Workers')).toEqual(['8481-8481']);
    // Without TLS the same access opens the HTTP ports: the rule set follows the option.
    const plain = clusterWithWorkers(2, { access: { webUiFrom: [ADMIN] } });
    expect(openPorts(Testing.synth(plain.stack), 'Master')).toEqual(['4040-4049', '8080-8080']);
  });

  it('writes the chain and the key (root, 0600) as base64 in user data that cloud-init accepts', () => {
    const byName = userDataOf(Testing.synth(tlsCluster().stack));
    for (const [name, template] of Object.entries(byName)) {
      const text = fillTemplate(template);
      const files = filesOf(text);
      const key = files['/etc/spark/tls/ui.key'] as { content: string; permissions: string; owner: string };
      expect({ name, permissions: key.permissions, owner: key.owner }).toEqual({
        name,
        permissions: '0600',
        owner: 'root:root',
      });
      expect(Buffer.from(key.content, 'base64').toString('utf8')).toBe(cert.keyPem);
      const chain = files['/etc/spark/tls/ui.crt'];
      expect(Buffer.from(chain.content, 'base64').toString('utf8')).toBe(cert.chainPem);
      expect(files['/etc/spark-bootstrap/bootstrap.env'].content).toContain('WEB_UI_TLS=true\n');
      expect(files['/usr/local/lib/spark-bootstrap/make-ui-keystore'].permissions).toBe('0755');
      expect(cloudInitSchema(text)).toMatchObject({ ok: true });
    }
  });

  it('takes the key from a sensitive variable: tofu plans it and the plan never prints the key', () => {
    const stack = newStack('tls-variable');
    const key = new TerraformVariable(stack, 'ui_tls_private_key', { type: 'string', sensitive: true });
    const cluster = new SparkCluster(
      stack,
      'analytics',
      clusterProps({ webUiTls: { certificateChainPem: cert.chainPem, privateKeyPem: key.stringValue } }),
    );
    cluster.addWorkerPool('general', { count: 1, flavor: XLARGE });
    const dir = synthStackDir(stack);
    const template = Object.values(userDataOf(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')))[0];
    expect(template).toContain('${base64encode(var.ui_tls_private_key)}');
    // The YAML stays valid once Terraform fills in the (multi-line) key.
    const filled = fillTemplate(template, (expression) =>
      expression === 'base64encode(var.ui_tls_private_key)'
        ? Buffer.from(cert.keyPem).toString('base64')
        : fillTemplate(`\${${expression}}`),
    );
    expect(cloudInitSchema(filled)).toMatchObject({ ok: true });

    const tofu = tofuFor(stack);
    expect(tofu.validate()).toEqual([]);
    const shown = tofu.run([
      'plan',
      '-input=false',
      '-no-color',
      '-lock=false',
      '-var',
      `ui_tls_private_key=${cert.keyPem}`,
    ]);
    expect(shown).toContain('openstack_compute_instance_v2');
    expect(shown).not.toContain(keyBody);
    expect(shown).not.toContain(Buffer.from(cert.keyPem).toString('base64').slice(40, 100));
  });

  it('refuses what is not a certificate chain or a private key, naming the field and never echoing a key', () => {
    const build = (webUiTls: SparkWebUiTlsOptions) => () => tlsCluster(webUiTls);
    const expectError = (webUiTls: SparkWebUiTlsOptions, pattern: RegExp) => {
      let error: unknown;
      try {
        build(webUiTls)();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SparkConfigError);
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).message).not.toContain(keyBody);
    };
    expectError(
      { ...tls, certificateChainPem: 'not a certificate' },
      /^test\/analytics: webUiTls\.certificateChainPem: must be PEM certificates only/,
    );
    expectError({ ...tls, certificateChainPem: cert.chainPem + cert.keyPem }, /certificateChainPem: must be PEM/);
    expectError({ ...tls, privateKeyPem: cert.chainPem }, /webUiTls\.privateKeyPem: must be one PEM private key/);
    expectError({ ...tls, privateKeyPem: cert.keyPem + cert.keyPem }, /privateKeyPem: must be one PEM private key/);
    expectError(
      { ...tls, privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' },
      /privateKeyPem: the private key does not parse/,
    );
    const encrypted = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' },
    }).privateKey;
    expectError({ ...tls, privateKeyPem: encrypted }, /encrypted private keys are not supported/);
    expectError({ ...tls, privateKeyPem: other.keyPem }, /webUiTls: the private key does not belong to the first/);
    // A broken intermediate: openssl on the server would silently leave it out.
    const [leaf, ca] = cert.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
    const brokenCa = ca.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    expectError({ ...tls, certificateChainPem: leaf + brokenCa }, /certificate 2 of 2 does not parse/);
    // A key pasted into the chain is reported by its label, not its text.
    expectError(
      { ...tls, certificateChainPem: cert.chainPem + cert.keyPem },
      /got "CERTIFICATE, CERTIFICATE, PRIVATE KEY"/,
    );
    const legacyEncrypted =
      '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n';
    expectError({ ...tls, privateKeyPem: legacyEncrypted }, /encrypted private keys are not supported/);
    // From plain JavaScript, or a config file with a missing field.
    const untyped = { certificateChainPem: cert.chainPem } as unknown as SparkWebUiTlsOptions;
    expectError(untyped, /webUiTls\.privateKeyPem: must be PEM text, got "undefined"/);
  });
});

describe('web UI TLS settings', () => {
  it('accepts a key written by `openssl ecparam -genkey` (curve parameters first)', () => {
    const ec = makeTestCertificate('DNS:spark.example.com', 'ec');
    try {
      expect(ec.keyPem).toContain('-----BEGIN EC PARAMETERS-----');
      expect(() => tlsCluster({ certificateChainPem: ec.chainPem, privateKeyPem: ec.keyPem })).not.toThrow();
    } finally {
      fs.rmSync(ec.dir, { recursive: true, force: true });
    }
  });

  it('refuses spark.ssl settings for the UIs in sparkConf, which would move ports away from the rules', () => {
    for (const key of ['spark.ssl.ui.port', 'spark.ssl.standalone.enabled', 'spark.ssl.enabled']) {
      expect(() => clusterWithWorkers(1, { webUiTls: tls, sparkConf: { [key]: '9443' } })).toThrow(
        new RegExp(`sparkConf: webUiTls sets the web UIs' TLS settings itself, got "${key.replace(/\./g, '\\.')}"`),
      );
    }
    // Without webUiTls they are the user's to set.
    expect(() => clusterWithWorkers(1, { sparkConf: { 'spark.ssl.ui.port': '9443' } })).not.toThrow();
  });
});

describe('make-ui-keystore (the script each server runs at boot)', () => {
  const script = path.join(__dirname, '..', 'lib', 'assets', 'make-ui-keystore.sh');
  const owner = `${process.getuid!()}:${process.getgid!()}`;

  const PASSWORD = 'spark-web-ui-not-a-secret';

  function scratch(keyPem = cert.keyPem) {
    const dir = fs.mkdtempSync(path.join(cert.dir, 'node-'));
    fs.writeFileSync(path.join(dir, 'ui.crt'), cert.chainPem);
    fs.writeFileSync(path.join(dir, 'ui.key'), keyPem, { mode: 0o600 });
    const file = (name: string) => path.join(dir, name);
    const run = () =>
      spawnSync('bash', [script, file('ui.crt'), file('ui.key'), file('ui.p12'), PASSWORD, owner], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    return { file, run };
  }

  function keytoolList(keystore: string) {
    const keytool = spawnSync(
      'keytool',
      ['-list', '-v', '-storetype', 'PKCS12', '-keystore', keystore, '-storepass:env', 'STOREPASS'],
      { encoding: 'utf8', env: { ...process.env, STOREPASS: PASSWORD }, timeout: 60_000 },
    );
    if (keytool.error) throw new Error(`keytool is missing: run scripts/install-system-packages.sh (${keytool.error})`);
    return keytool.stdout;
  }

  it('makes a PKCS#12 keystore, readable by its owner only, that Java opens with the password', () => {
    const node = scratch();
    const first = node.run();
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
    expect((fs.statSync(node.file('ui.p12')).mode & 0o777).toString(8)).toBe('600');
    const listing = keytoolList(node.file('ui.p12'));
    expect(listing).toContain('Alias name: spark-ui');
    expect(listing).toContain('Entry type: PrivateKeyEntry');
    expect(listing).toContain('Certificate chain length: 2');
    // A second run (a re-run bootstrap, a rotated certificate) replaces the keystore.
    const inode = fs.statSync(node.file('ui.p12')).ino;
    expect(node.run().status).toBe(0);
    expect(fs.statSync(node.file('ui.p12')).ino).not.toBe(inode);
  });

  it('refuses a key that does not belong to the certificate and keeps the keystore it had', () => {
    const node = scratch();
    expect(node.run().status).toBe(0);
    const before = fs.readFileSync(node.file('ui.p12'));
    fs.writeFileSync(node.file('ui.key'), other.keyPem);
    const run = node.run();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('make-ui-keystore: could not make the keystore');
    expect(fs.readFileSync(node.file('ui.p12'))).toEqual(before);
    expect(fs.existsSync(node.file('ui.p12.tmp'))).toBe(false);
  });
});
