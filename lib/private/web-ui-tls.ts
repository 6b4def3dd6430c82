import { createPrivateKey, KeyObject, X509Certificate } from 'crypto';
import { Fn, Token } from 'cdktf';
import { SparkWebUiTlsOptions, WEB_UI_TLS_PATHS } from '../web-ui-tls';
import { invalid } from './errors';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END \1-----/g;
const KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];

/** The labels of the PEM blocks in `text`, and whether anything else is there. */
function pemBlocks(text: string): { labels: string[]; rest: string } {
  const labels: string[] = [];
  const rest = text.replace(PEM_BLOCK, (_block, label: string) => {
    labels.push(label);
    return '';
  });
  return { labels, rest: rest.trim() };
}

/**
 * Checks the certificate and key where they are known at synth (Terraform references are
 * checked by the server, which refuses a pair that does not match). Errors name `where`.
 */
export function checkWebUiTls(where: string, tls: SparkWebUiTlsOptions): void {
  let certificate: X509Certificate | undefined;
  let key: KeyObject | undefined;
  if (!Token.isUnresolved(tls.certificateChainPem)) {
    const { labels, rest } = pemBlocks(tls.certificateChainPem);
    if (labels.length === 0 || rest !== '' || labels.some((l) => l !== 'CERTIFICATE')) {
      throw invalid(
        `${where}: webUiTls.certificateChainPem`,
        'must be PEM certificates only (the server certificate first, then intermediates)',
        tls.certificateChainPem.trim().slice(0, 40),
        'Pass the text of the certificate chain file, e.g. readFileSync("ui.pem", "utf8").',
      );
    }
    try {
      certificate = new X509Certificate(tls.certificateChainPem);
    } catch (e) {
      throw invalid(
        `${where}: webUiTls.certificateChainPem`,
        `the first certificate does not parse (${(e as Error).message})`,
        tls.certificateChainPem.trim().slice(0, 40),
        'Check the file with `openssl x509 -noout -text -in ui.pem`.',
      );
    }
  }
  if (!Token.isUnresolved(tls.privateKeyPem)) {
    const { labels, rest } = pemBlocks(tls.privateKeyPem);
    if (labels.length === 1 && labels[0] === 'ENCRYPTED PRIVATE KEY') {
      throw invalid(
        `${where}: webUiTls.privateKeyPem`,
        'encrypted private keys are not supported (the server has no passphrase)',
        'ENCRYPTED PRIVATE KEY',
        'Decrypt it with `openssl pkey -in key.pem -out plain.pem`, and keep plain.pem out of version control.',
      );
    }
    if (labels.length !== 1 || rest !== '' || !KEY_LABELS.includes(labels[0])) {
      // Never echo the value: it is (or was meant to be) a private key.
      throw invalid(
        `${where}: webUiTls.privateKeyPem`,
        'must be one PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)',
        labels.length === 0 ? 'no PEM block' : labels.join(', '),
        'Pass the text of the key file, or better a sensitive TerraformVariable holding it.',
      );
    }
    try {
      key = createPrivateKey(tls.privateKeyPem);
    } catch (e) {
      throw invalid(
        `${where}: webUiTls.privateKeyPem`,
        `the private key does not parse (${(e as Error).message})`,
        labels[0],
        'Check it with `openssl pkey -noout -in key.pem`.',
      );
    }
  }
  if (certificate && key && !certificate.checkPrivateKey(key)) {
    throw invalid(
      `${where}: webUiTls`,
      'the private key does not belong to the first certificate of the chain',
      certificate.subject.replace(/\n/g, ', '),
      'Pass the key the certificate was issued for, and put the server certificate first in the chain.',
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
 * reach them), so each gets the full set; the keystore's password is added on the node when
 * the keystore is made. Each UI keeps its HTTP port, which then only redirects to HTTPS.
 */
export function webUiTlsSparkConf(historyServer: boolean): Record<string, string> {
  const namespaces = historyServer ? ['standalone', 'ui', 'historyServer'] : ['standalone', 'ui'];
  const conf: Record<string, string> = {};
  for (const ns of namespaces) {
    conf[`spark.ssl.${ns}.enabled`] = 'true';
    conf[`spark.ssl.${ns}.keyStore`] = WEB_UI_TLS_PATHS.keystore;
    conf[`spark.ssl.${ns}.keyStoreType`] = 'PKCS12';
  }
  return conf;
}
