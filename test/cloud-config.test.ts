import { parse } from 'yaml';
import { CloudConfig } from '../lib';
import { escapeTerraformTemplate } from '../lib/private/terraform';
import { cloudInitSchema } from './support/user-data';

describe('CloudConfig', () => {
  const build = () =>
    new CloudConfig()
      .addPackages('curl')
      .addSystemUser({ name: 'spark', homedir: '/var/lib/spark' })
      .addFile({ path: '/etc/motd', content: 'hello\n' })
      .addFile({ path: '/etc/app/secret', content: 's3cr3t\n', permissions: '0600', owner: 'spark:spark', defer: true })
      .addCommands(['systemctl', 'restart', 'thing'], 'echo "$HOME" > /tmp/home');

  it('renders a #cloud-config document with keys-only SSH and the given parts', () => {
    const text = build().render();
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const doc = parse(text);
    expect(doc).toMatchObject({
      ssh_pwauth: false,
      disable_root: true,
      package_update: true,
      packages: ['curl'],
      runcmd: [['systemctl', 'restart', 'thing'], 'echo "$HOME" > /tmp/home'],
    });
    expect(doc.users[0]).toBe('default');
    expect(doc.users[1]).toMatchObject({ name: 'spark', system: true, shell: '/usr/sbin/nologin', lock_passwd: true });
    expect(doc.write_files[1]).toEqual({
      path: '/etc/app/secret',
      content: 's3cr3t\n',
      permissions: '0600',
      owner: 'spark:spark',
      defer: true,
    });
  });

  it("passes cloud-init's own schema check", () => {
    const result = cloudInitSchema(build().render());
    expect(result.output).toMatch(/Valid cloud-config/);
    expect(result.ok).toBe(true);
  });

  it("cloud-init's schema check does reject a broken document (the check is not vacuous)", () => {
    const result = cloudInitSchema('#cloud-config\nruncmd: 5\nwrite_files:\n  - content: no path\n');
    expect(result.ok).toBe(false);
  });

  it('keeps long shell lines on one line', () => {
    const line = `echo ${'x'.repeat(300)}`;
    expect(new CloudConfig().addCommands(line).render()).toContain(line);
  });

  it('refuses duplicate, relative or quoted paths and bad modes', () => {
    expect(() => build().addFile({ path: '/etc/motd', content: '' })).toThrow(/already added, got "\/etc\/motd"/);
    expect(() => new CloudConfig().addFile({ path: 'etc/x', content: '' })).toThrow(/must be absolute/);
    expect(() => new CloudConfig().addFile({ path: "/etc/x'; rm -rf /", content: '' })).toThrow(
      /must be absolute, without spaces or quotes/,
    );
    expect(() => new CloudConfig().addFile({ path: '/etc/x', content: '', permissions: '777' })).toThrow(
      /4-digit octal/,
    );
  });

  it('writes base64 content for cloud-init to decode, and knows no other encoding', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const text = new CloudConfig()
      .addFile({ path: '/etc/x.pem', encoding: 'b64', content: Buffer.from(pem).toString('base64') })
      .render();
    expect(text).toContain(`encoding: b64\n    content: ${Buffer.from(pem).toString('base64')}\n`);
    expect(cloudInitSchema(text)).toMatchObject({ ok: true });
    const gz = { path: '/etc/x', content: '', encoding: 'gzip' as 'b64' };
    expect(() => new CloudConfig().addFile(gz)).toThrow(/encoding must be 'b64' or left out, got "gzip"/);
  });

  it('refuses package and user names that are not plain names', () => {
    expect(() => new CloudConfig().addPackages('curl; reboot')).toThrow(/lower-case Debian names/);
    expect(() => new CloudConfig().addSystemUser({ name: 'Spark User' })).toThrow(/lower-case POSIX names/);
  });
});

describe('CloudConfig trusted CAs', () => {
  // Text in the shape of a PEM certificate (not a real one): the library checks the shape;
  // the end-to-end test has every node trust a real CA and talk TLS to Swift through it.
  const PEM = [
    '-----BEGIN CERTIFICATE-----',
    'MIIBfzCCASWgAwIBAgIUYqSU7zF7ZV0Jb9hy2Q9mG8oJ8D4wCgYIKoZIzj0EAwIw',
    'FTETMBEGA1UEAwwKdGVzdCBDQSAxMB4XDTI2MTEyNDA5MDAwMFoXDTI2MTEyNjA5',
    'MDAwMFowFTETMBEGA1UEAwwKdGVzdCBDQSAxMFkwEwYHKoZIzj0CAQYIKoZIzj0D',
    'AQcDQgAE2kq0n8o7c8lJw1Z2W2u5mM0x2cQf3yJ8u9cYvKq8Q1nUeYk4u2p1c8sB',
    'Xk7oVQ1eYJm0nB3o3j4QdU7d8mWcUqNTMFEwHQYDVR0OBBYEFBq5aJ0oJmV1c3Jr',
    '-----END CERTIFICATE-----',
  ].join('\n');

  it('renders ca_certs that cloud-init accepts, before any command', () => {
    const text = new CloudConfig()
      .addTrustedCaCertificate(PEM + '\n\n')
      .addCommands(['true'])
      .render();
    expect(parse(text).ca_certs).toEqual({ trusted: [PEM + '\n'] });
    const result = cloudInitSchema(text);
    expect(result.output).toContain('Valid cloud-config');
    expect(result.ok).toBe(true);
  });

  it('refuses anything but one PEM certificate', () => {
    for (const bad of ['', 'not a cert', PEM.replace('CERTIFICATE-----', 'PRIVATE KEY-----'), `${PEM}\n${PEM}`]) {
      expect(() => new CloudConfig().addTrustedCaCertificate(bad)).toThrow(
        'CloudConfig: a trusted CA must be one PEM certificate (BEGIN CERTIFICATE ... END CERTIFICATE)',
      );
    }
  });
});

describe('escapeTerraformTemplate', () => {
  it('doubles literal ${ and %{ and leaves cdktf tokens alone', () => {
    expect(escapeTerraformTemplate('a ${HOME} %{x} ${TfToken[TOKEN.7]} $$ $x')).toBe(
      'a $${HOME} %%{x} ${TfToken[TOKEN.7]} $$ $x',
    );
  });
});
