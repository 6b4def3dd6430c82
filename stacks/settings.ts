import { readFileSync } from 'fs';
import { ExternalNetwork, Image, KeyPair, SparkVersion } from '../lib';

/**
 * Cloud-specific values of the example stacks, from environment variables. The defaults
 * let `tofu plan` run with no cloud; to deploy, set at least SPARK_EXTERNAL_NETWORK_ID,
 * SPARK_SSH_PUBLIC_KEY_FILE, SPARK_ADMIN_CIDR and SPARK_S3_ENDPOINT for your cloud. Clouds
 * without Internet access set SPARK_MIRROR_URL and SPARK_MAVEN_REPOSITORY_URL (the
 * end-to-end test does, with its own mirror).
 */
export interface ExampleSettings {
  readonly externalNetwork: ExternalNetwork;
  readonly image: Image;
  readonly keyPair: KeyPair;
  /** Who may reach the UIs and SSH (a documentation range by default: nobody real). */
  readonly adminCidr: string;
  /** The cloud's S3 API (Swift s3api or Ceph RGW). */
  readonly s3Endpoint: string;
  /** Spark 3.5.7, or the same release rebuilt by you (SPARK_TARBALL_SHA512 names its checksum). */
  readonly sparkVersion: SparkVersion;
  /** A mirror laid out like the Apache archive (SPARK_MIRROR_URL); the archive by default. */
  readonly sparkMirrorUrl?: string;
  /** A Maven repository for the S3A jars (SPARK_MAVEN_REPOSITORY_URL); Maven Central by default. */
  readonly mavenRepositoryUrl?: string;
  /** Private CAs the servers trust, from the PEM file (one CA or a bundle) SPARK_CA_CERT_FILE names. */
  readonly trustedCaCertificates?: string[];
  /**
   * The web UIs' certificate chain (PEM), from the file SPARK_UI_TLS_CERT_FILE names. Its key
   * comes from the sensitive variable `ui_tls_private_key` (TF_VAR_ui_tls_private_key).
   */
  readonly webUiCertificateChain?: string;
  /** Workers in the example's pool (SPARK_WORKERS); 3 by default. */
  readonly workerCount?: number;
  /**
   * The example pool's flavor by name (SPARK_WORKER_FLAVOR), looked up in the cloud
   * (`Flavor.fromLookup`: planning then needs credentials); `m1.xlarge` (8 vCPUs, 16 GiB) by default.
   */
  readonly workerFlavorName?: string;
  /** A Cinder volume of this many GiB per worker for Spark's local dirs (SPARK_LOCAL_VOLUME_GIB); none by default. */
  readonly localVolumeGiB?: number;
  /**
   * A Cinder volume of this many GiB for the master (SPARK_MASTER_VOLUME_GIB), where a single
   * master also keeps its recovery state; none by default.
   */
  readonly masterVolumeGiB?: number;
  /** Let destroy delete the containers with their objects (SPARK_FORCE_DESTROY=1). */
  readonly forceDestroy?: boolean;
}

// A public key whose private half was discarded when it was made: nobody can log in with it.
const PLACEHOLDER_PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPbd6FIj//AGO9CZAn7Wemzuc/PLaLZTB5ElHWoIIAyl placeholder';

/** Each certificate of a PEM bundle; text around and between them (comments) is dropped. */
function pemCertificates(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [bundle];
}

export function exampleSettings(env: NodeJS.ProcessEnv = process.env): ExampleSettings {
  const keyFile = env.SPARK_SSH_PUBLIC_KEY_FILE;
  return {
    externalNetwork: ExternalNetwork.fromAttributes({
      name: env.SPARK_EXTERNAL_NETWORK ?? 'public',
      id: env.SPARK_EXTERNAL_NETWORK_ID ?? '00000000-0000-4000-8000-000000000000',
    }),
    image: Image.fromName(env.SPARK_IMAGE ?? 'ubuntu-24.04'),
    keyPair: KeyPair.fromPublicKey(keyFile ? readFileSync(keyFile, 'utf8') : PLACEHOLDER_PUBLIC_KEY),
    adminCidr: env.SPARK_ADMIN_CIDR ?? '203.0.113.0/24',
    s3Endpoint: env.SPARK_S3_ENDPOINT ?? 'https://object.example.com',
    sparkVersion: env.SPARK_TARBALL_SHA512
      ? SparkVersion.of(SparkVersion.V3_5_7.version, { sha512: env.SPARK_TARBALL_SHA512 })
      : SparkVersion.V3_5_7,
    sparkMirrorUrl: env.SPARK_MIRROR_URL || undefined,
    mavenRepositoryUrl: env.SPARK_MAVEN_REPOSITORY_URL || undefined,
    trustedCaCertificates: env.SPARK_CA_CERT_FILE
      ? pemCertificates(readFileSync(env.SPARK_CA_CERT_FILE, 'utf8'))
      : undefined,
    webUiCertificateChain: env.SPARK_UI_TLS_CERT_FILE ? readFileSync(env.SPARK_UI_TLS_CERT_FILE, 'utf8') : undefined,
    workerCount: env.SPARK_WORKERS ? Number(env.SPARK_WORKERS) : undefined,
    workerFlavorName: env.SPARK_WORKER_FLAVOR || undefined,
    localVolumeGiB: env.SPARK_LOCAL_VOLUME_GIB ? Number(env.SPARK_LOCAL_VOLUME_GIB) : undefined,
    masterVolumeGiB: env.SPARK_MASTER_VOLUME_GIB ? Number(env.SPARK_MASTER_VOLUME_GIB) : undefined,
    forceDestroy: env.SPARK_FORCE_DESTROY === '1' || undefined,
  };
}
