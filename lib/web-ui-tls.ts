/**
 * TLS for the web UIs (master, workers, history server, applications), with a certificate
 * you provide. Each server turns the PEM pair into a PKCS#12 keystore at boot, readable by
 * the Spark user only.
 *
 * The same certificate serves every node: its subject alternative names must cover each
 * name or address users browse to (the master's floating IP or DNS name, and the workers'
 * addresses if users open worker pages).
 *
 * @example
 * const key = new TerraformVariable(stack, 'ui_tls_private_key', { type: 'string', sensitive: true });
 * new SparkCluster(stack, 'analytics', {
 *   // ...
 *   webUiTls: { certificateChainPem: readFileSync('ui.pem', 'utf8'), privateKeyPem: key.stringValue },
 * });
 */
export interface SparkWebUiTlsOptions {
  /**
   * The server certificate in PEM, followed by any intermediate CA certificates. A
   * Terraform reference works too.
   */
  readonly certificateChainPem: string;
  /**
   * The certificate's private key in PEM (PKCS#8, or traditional RSA/EC), not encrypted.
   * Pass a reference to a sensitive Terraform variable (`TerraformVariable` with
   * `sensitive: true`) so that the key stays out of your code and the synthesized JSON; a
   * literal string works but is written into `cdktf.out`.
   */
  readonly privateKeyPem: string;
}

/** HTTPS ports are the HTTP ports plus this (Spark derives them so when none is set). */
export const WEB_UI_TLS_PORT_OFFSET = 400;

/** The HTTPS port Spark serves next to an HTTP UI port (8080 -> 8480). */
export function webUiTlsPort(httpPort: number): number {
  return httpPort + WEB_UI_TLS_PORT_OFFSET;
}

/** Where the certificate, the key and the keystore made from them live on every node. */
export const WEB_UI_TLS_PATHS = {
  certificate: '/etc/spark/tls/ui.crt',
  privateKey: '/etc/spark/tls/ui.key',
  keystore: '/etc/spark/tls/ui.p12',
} as const;
