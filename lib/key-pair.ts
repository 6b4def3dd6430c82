import { Construct } from 'constructs';
import { ComputeKeypairV2 } from '../.gen/providers/openstack/compute-keypair-v2';
import { hasControlCharacters, invalid } from './private/errors';
import { checkCloudName } from './private/inputs';

const PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,3})( [^\n]*)?$/;

/** Smallest key blob per type: ed25519 is 51 bytes; RSA under 2048 bits is weak. */
const MIN_BLOB_BYTES: Readonly<Record<string, number>> = { 'ssh-rsa': 270, 'ssh-ed25519': 51 };

/**
 * True when the base64 part really is a key of the named type: OpenSSH blobs start with
 * their own type name, length-prefixed (RFC 4253 section 6.6).
 */
function blobMatches(type: string, base64: string): boolean {
  const blob = Buffer.from(base64, 'base64');
  if (blob.toString('base64').replace(/=+$/, '') !== base64.replace(/=+$/, '') || blob.length < 4) return false;
  const length = blob.readUInt32BE(0);
  if (length !== type.length || blob.length < 4 + length) return false;
  return blob.subarray(4, 4 + length).toString('latin1') === type && blob.length >= (MIN_BLOB_BYTES[type] ?? 40);
}

/** The SSH key pair servers accept logins with (password logins are off). */
export abstract class KeyPair {
  /** Imports a public key (OpenSSH format) as a new Nova key pair. */
  static fromPublicKey(publicKey: string): KeyPair {
    const key = typeof publicKey === 'string' ? publicKey.trim() : '';
    const m = PUBLIC_KEY.exec(key);
    if (!m || hasControlCharacters(key)) {
      throw invalid(
        'KeyPair.fromPublicKey',
        'publicKey must be one OpenSSH public key line',
        key,
        'Pass the contents of a .pub file, e.g. readFileSync("id_ed25519.pub", "utf8").',
      );
    }
    if (!blobMatches(m[1], m[3])) {
      throw invalid(
        'KeyPair.fromPublicKey',
        `the base64 part is not an ${m[1]} key (RSA needs 2048 bits or more)`,
        key,
        'Pass the contents of the .pub file unchanged, e.g. readFileSync("id_ed25519.pub", "utf8").',
      );
    }
    return new ImportedKeyPair(key);
  }

  /** A key pair that already exists in the project. */
  static fromName(name: string): KeyPair {
    checkCloudName('KeyPair.fromName', 'name', name, 'Use the name `openstack keypair list` shows.');
    if (/\s/.test(name)) {
      throw invalid(
        'KeyPair.fromName',
        'name must be a key pair name without spaces',
        name,
        'Use the name `openstack keypair list` shows.',
      );
    }
    return new ExistingKeyPair(name);
  }

  /** The key pair's name, creating it under `scope` if needed. @internal */
  abstract bind(scope: Construct, defaultName: string): string;
}

class ImportedKeyPair extends KeyPair {
  constructor(private readonly publicKey: string) {
    super();
  }
  bind(scope: Construct, defaultName: string): string {
    return new ComputeKeypairV2(scope, 'KeyPair', { name: defaultName, publicKey: this.publicKey }).name;
  }
}

class ExistingKeyPair extends KeyPair {
  constructor(private readonly name: string) {
    super();
  }
  bind(): string {
    return this.name;
  }
}
