import { createPrivateKey, KeyObject, X509Certificate } from 'crypto';
import { Fn, Token } from 'cdktf';
import type { ISparkCapability } from '../capability';
import { SparkWebUiTlsOptions, WEB_UI_TLS_PATHS } from '../web-ui-tls';
import { invalid } from './errors';

/** Where the bootstrap finds the script that makes the keystore. */
export const MAKE_KEYSTORE_SCRIPT = '/usr/local/lib/spark-bootstrap/make-ui-keystore';

/**
 * The keystore's password: fixed and public, on purpose. Spark reads it from the same
 * configuration the Spark user reads the keystore with, and passes it on the command line of
 * drivers it starts on workers (cluster deploy mode), so a per-node secret would protect
 * nothing and break those drivers. The keystore's mode (0600, owned by spark) protects the key.
 */
export const KEYSTORE_PASSWORD = 'spark-web-ui-not-a-secret';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END \1-----/g;
const KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];

/** The PEM blocks in `text` (label and text), and whether anything else is there. */
function pemBlocks(text: string): { labels: string[]; blocks: string[]; rest: string } {
  const labels: string[] = [];
  const blocks: string[] = [];
  const rest = text.replace(PEM_BLOCK, (block: string, label: string) => {
    labels.push(label);
    blocks.push(block);
    return '';
  });
  return { labels, blocks, rest: rest.trim() };
}

/** What an error may show of a PEM input: its block labels, never its text. */
function describe(labels: string[]): string {
  return labels.length === 0 ? 'no PEM block' : labels.join(', ');
}

/**
 * Checks the certificate and key where they are known at synth (Terraform references are
 * checked by the server, which refuses a pair that does not match). Errors name `where`.
 */
export function checkWebUiTls(where: string, tls: SparkWebUiTlsOptions): void {
  for (const field of ['certificateChainPem', 'privateKeyPem'] as const) {
    if (typeof tls[field] !== 'string') {
      throw invalid(
        `${where}: webUiTls.${field}`,
        'must be PEM text',
        typeof tls[field],
        'Pass the text of the PEM file, e.g. readFileSync("ui.pem", "utf8"), or a Terraform reference.',
      );
    }
  }
  const certificate = Token.isUnresolved(tls.certificateChainPem)
    ? undefined
    : checkChain(where, tls.certificateChainPem);
  const key = Token.isUnresolved(tls.privateKeyPem) ? undefined : checkKey(where, tls.privateKeyPem);
  if (certificate && key && !certificate.checkPrivateKey(key)) {
    throw invalid(
      `${where}: webUiTls`,
      'the private key does not belong to the first certificate of the chain',
      certificate.subject.replace(/\n/g, ', '),
      'Pass the key the certificate was issued for, and put the server certificate first in the chain.',
    );
  }
}

/** Parses every certificate of a chain; returns the first (the server's). */
function checkChain(where: string, pem: string): X509Certificate {
  const { labels, blocks, rest } = pemBlocks(pem);
  if (labels.length === 0 || rest !== '' || labels.some((l) => l !== 'CERTIFICATE')) {
    throw invalid(
      `${where}: webUiTls.certificateChainPem`,
      'must be PEM certificates only (the server certificate first, then intermediates)',
      rest === '' ? describe(labels) : `${describe(labels)} and other text`,
      'Pass the text of the certificate chain file, e.g. readFileSync("ui.pem", "utf8").',
    );
  }
  // Every certificate: openssl on the server would silently drop one that does not parse.
  const certificates = blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (e) {
      throw invalid(
        `${where}: webUiTls.certificateChainPem`,
        `certificate ${i + 1} of ${blocks.length} does not parse (${(e as Error).message})`,
        'CERTIFICATE',
        'Check the file with `openssl crl2pkcs7 -nocrl -certfile ui.pem | openssl pkcs7 -print_certs -noout`.',
      );
    }
  });
  return certificates[0];
}

/** Parses one unencrypted PEM private key. */
function checkKey(where: string, pem: string): KeyObject {
  const found = pemBlocks(pem);
  // `openssl ecparam -genkey` writes the curve's parameters before the key: harmless.
  const labels = found.labels.filter((l) => l !== 'EC PARAMETERS');
  if (labels.includes('ENCRYPTED PRIVATE KEY') || /^Proc-Type: 4,ENCRYPTED/m.test(pem)) {
    throw invalid(
      `${where}: webUiTls.privateKeyPem`,
      'encrypted private keys are not supported (the server has no passphrase)',
      'ENCRYPTED PRIVATE KEY',
      'Decrypt it with `openssl pkey -in key.pem -out plain.pem`, and keep plain.pem out of version control.',
    );
  }
  if (labels.length !== 1 || found.rest !== '' || !KEY_LABELS.includes(labels[0])) {
    // Never echo the value: it is (or was meant to be) a private key.
    throw invalid(
      `${where}: webUiTls.privateKeyPem`,
      'must be one PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)',
      found.rest === '' ? describe(labels) : `${describe(labels)} and other text`,
      'Pass the text of the key file, or better a sensitive TerraformVariable holding it.',
    );
  }
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw invalid(
      `${where}: webUiTls.privateKeyPem`,
      `the private key does not parse (${(e as Error).message})`,
      labels[0],
      'Check it with `openssl pkey -noout -in key.pem`.',
    );
  }
}

/**
 * A PEM text as one line of base64, for cloud-init's `encoding: b64`: a multi-line value
 * that Terraform fills in later would otherwise break the YAML around it.
 */
export function pemAsBase64(pem: string): string {
  return Token.isUnresolved(pem) ? Fn.base64encode(pem) : Buffer.from(pem, 'utf8').toString('base64');
}

/**
 * spark-defaults.conf settings that serve the UIs over HTTPS from the node's keystore. Spark
 * 3.5 reads each namespace's keystore settings on their own (the spark.ssl.* defaults do not
 * reach them), so each gets the full set. Each UI keeps its HTTP port, which then only
 * redirects to HTTPS.
 */
export function webUiTlsSparkConf(historyServer: boolean): Record<string, string> {
  const conf: Record<string, string> = {};
  for (const ns of webUiTlsNamespaces(historyServer)) {
    conf[`spark.ssl.${ns}.enabled`] = 'true';
    conf[`spark.ssl.${ns}.keyStore`] = WEB_UI_TLS_PATHS.keystore;
    conf[`spark.ssl.${ns}.keyStoreType`] = 'PKCS12';
    conf[`spark.ssl.${ns}.keyStorePassword`] = KEYSTORE_PASSWORD;
    conf[`spark.ssl.${ns}.keyPassword`] = KEYSTORE_PASSWORD;
  }
  return conf;
}

/** Spark's TLS namespaces of the UIs the cluster runs. */
export function webUiTlsNamespaces(historyServer: boolean): string[] {
  return historyServer ? ['standalone', 'ui', 'historyServer'] : ['standalone', 'ui'];
}

/**
 * Web UI TLS as a capability: its Spark settings. The certificate, the key and the script
 * that makes the keystore stay in the bootstrap, which makes the keystore before any
 * service starts.
 */
export function webUiTlsCapability(historyServer: boolean): ISparkCapability {
  return { sparkDefaults: () => webUiTlsSparkConf(historyServer) };
}
