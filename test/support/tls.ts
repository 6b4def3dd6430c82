/**
 * Certificates for the web UI TLS tests: a CA and a server certificate it signed, made by the
 * real openssl through the end-to-end test's scripts/e2e/test-ca.sh.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../../scripts/tools-env';

export interface TestCertificate {
  /** The server certificate followed by the CA's (a chain, as users pass it). */
  readonly chainPem: string;
  readonly keyPem: string;
  /** The directory holding ca.pem, ui.pem, ui-chain.pem and ui.key. */
  readonly dir: string;
}

/**
 * A CA and a server certificate for `subjectAltName`, e.g. 'IP:10.42.0.10,DNS:spark.example';
 * `ec` makes the server key with `openssl ecparam -genkey` (curve parameters, then the key).
 */
export function makeTestCertificate(subjectAltName: string, keyType: 'rsa' | 'ec' = 'rsa'): TestCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ui-tls-'));
  const script = path.join(REPO_ROOT, 'scripts', 'e2e', 'test-ca.sh');
  const result = spawnSync('bash', [script, dir, `ui=${subjectAltName}`], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, TEST_CA_KEY_TYPE: keyType },
  });
  if (result.status !== 0) {
    throw new Error(
      `test-ca.sh failed (${result.error?.message ?? result.stderr}); openssl comes from scripts/install-system-packages.sh`,
    );
  }
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  return { chainPem: read('ui-chain.pem'), keyPem: read('ui.key'), dir };
}
