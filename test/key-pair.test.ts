import { Testing } from 'cdktf';
import { ComputeKeypairV2 } from '../.gen/providers/openstack/compute-keypair-v2';
import { Image, KeyPair } from '../lib';
import { newStack, PUBLIC_KEY, resourcesOf } from './support/fixtures';

describe('KeyPair', () => {
  it('imports a public key as a new key pair named after the cluster', () => {
    const stack = newStack();
    expect(KeyPair.fromPublicKey(`${PUBLIC_KEY}\n`).bind(stack, 'analytics')).toMatch(/TfToken/);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(ComputeKeypairV2, {
      name: 'analytics',
      public_key: PUBLIC_KEY,
    });
  });

  it('uses an existing key pair by name without creating one', () => {
    const stack = newStack();
    expect(KeyPair.fromName('ops-team').bind(stack, 'analytics')).toBe('ops-team');
    expect(resourcesOf(Testing.synth(stack), 'openstack_compute_keypair_v2')).toEqual({});
  });

  it('refuses text that is not one OpenSSH public key line', () => {
    expect(() => KeyPair.fromPublicKey('-----BEGIN OPENSSH PRIVATE KEY-----')).toThrow(
      /publicKey must be one OpenSSH public key line/,
    );
    expect(() => KeyPair.fromPublicKey(`${PUBLIC_KEY}\n${PUBLIC_KEY}`)).toThrow(/one OpenSSH public key line/);
    expect(() => KeyPair.fromName('two words')).toThrow(/name must be a key pair name without spaces/);
  });
});

describe('Image', () => {
  it('boots by name or by UUID', () => {
    expect(Image.fromName('ubuntu-24.04')).toMatchObject({ name: 'ubuntu-24.04', id: undefined });
    expect(Image.fromId('0b6fbd3c-2c4e-4c6a-9a71-0d5f8f6c2f11')).toMatchObject({
      id: '0b6fbd3c-2c4e-4c6a-9a71-0d5f8f6c2f11',
    });
    expect(() => Image.fromId('ubuntu')).toThrow(/id must be an image UUID/);
    expect(() => Image.fromName(' ')).toThrow(/name must be one line of 1-255 characters without surrounding spaces/);
  });
});
