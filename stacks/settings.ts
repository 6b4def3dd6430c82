import { readFileSync } from 'fs';
import { ExternalNetwork, Image, KeyPair } from '../lib';

/**
 * Cloud-specific values of the example stacks, from environment variables. The defaults
 * let `tofu plan` run with no cloud; to deploy, set at least SPARK_EXTERNAL_NETWORK_ID,
 * SPARK_SSH_PUBLIC_KEY_FILE, SPARK_ADMIN_CIDR and SPARK_S3_ENDPOINT for your cloud.
 */
export interface ExampleSettings {
  readonly externalNetwork: ExternalNetwork;
  readonly image: Image;
  readonly keyPair: KeyPair;
  /** Who may reach the UIs and SSH (a documentation range by default: nobody real). */
  readonly adminCidr: string;
  /** The cloud's S3 API (Swift s3api or Ceph RGW). */
  readonly s3Endpoint: string;
}

// A public key whose private half was discarded when it was made: nobody can log in with it.
const PLACEHOLDER_PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPbd6FIj//AGO9CZAn7Wemzuc/PLaLZTB5ElHWoIIAyl placeholder';

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
  };
}
