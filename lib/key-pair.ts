import { Construct } from 'constructs';
import { ComputeKeypairV2 } from '../.gen/providers/openstack/compute-keypair-v2';
import { invalid } from './private/errors';

const PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;

/** The SSH key pair servers accept logins with (password logins are off). */
export abstract class KeyPair {
  /** Imports a public key (OpenSSH format) as a new Nova key pair. */
  static fromPublicKey(publicKey: string): KeyPair {
    const key = publicKey.trim();
    if (!PUBLIC_KEY.test(key)) {
      throw invalid(
        'KeyPair.fromPublicKey',
        'publicKey must be one OpenSSH public key line',
        key,
        'Pass the contents of a .pub file, e.g. readFileSync("id_ed25519.pub", "utf8").',
      );
    }
    return new ImportedKeyPair(key);
  }

  /** A key pair that already exists in the project. */
  static fromName(name: string): KeyPair {
    if (!name.trim() || /\s/.test(name)) {
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
