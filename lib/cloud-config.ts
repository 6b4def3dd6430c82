import { stringify } from 'yaml';
import { invalid } from './private/errors';

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----$/;

/** One PEM certificate, trimmed and newline-terminated; anything else is a SparkConfigError. */
export function checkCaCertificate(where: string, pem: string): string {
  const text = typeof pem === 'string' ? pem.trim() : '';
  if (!PEM_CERTIFICATE.test(text)) {
    throw invalid(
      where,
      'a trusted CA must be one PEM certificate (BEGIN CERTIFICATE ... END CERTIFICATE)',
      text.slice(0, 40),
      'Pass the text of the CA certificate file, e.g. readFileSync("ca.pem", "utf8").',
    );
  }
  return text + '\n';
}

/** A file cloud-init writes (its `write_files` module). */
export interface CloudConfigFile {
  /** Absolute path on the server. */
  readonly path: string;
  /** The file's text. */
  readonly content: string;
  /**
   * Octal mode, as a string.
   * @default '0644'
   */
  readonly permissions?: string;
  /**
   * `user:group` owning the file.
   * @default 'root:root'
   */
  readonly owner?: string;
  /**
   * Write in cloud-init's final stage, after users exist (needed for files owned by a user
   * the same cloud-config creates).
   * @default false
   */
  readonly defer?: boolean;
  /**
   * `b64` when `content` is base64 (cloud-init decodes it): keeps a multi-line value that
   * Terraform fills in later on one YAML line.
   * @default - plain text
   */
  readonly encoding?: 'b64';
}

/** A system user cloud-init creates (its `users` module), without a login shell or password. */
export interface CloudConfigSystemUser {
  readonly name: string;
  /** Home directory. @default '/nonexistent' */
  readonly homedir?: string;
}

/** Options of a cloud-config document. */
export interface CloudConfigOptions {
  /**
   * Allow SSH password logins.
   * @default false - keys only
   */
  readonly sshPasswordAuth?: boolean;
}

/**
 * A typed builder for a `#cloud-config` document: packages, files, commands and system
 * users, rendered to YAML that cloud-init's own schema accepts. A plain class: build and
 * render it without a stack.
 *
 * @example
 * const config = new CloudConfig();
 * config.addFile({ path: '/etc/motd', content: 'Spark worker\n' });
 * config.addCommands(['systemctl', 'restart', 'spark-worker']);
 * const userData = config.render();
 */
export class CloudConfig {
  private readonly packages = new Set<string>();
  private readonly files = new Map<string, CloudConfigFile>();
  private readonly commands: (string | string[])[] = [];
  private readonly users = new Map<string, CloudConfigSystemUser>();
  private readonly caCertificates: string[] = [];

  constructor(private readonly options: CloudConfigOptions = {}) {}

  /** Installs Debian/Ubuntu packages (cloud-init refreshes the package index first). */
  addPackages(...names: string[]): this {
    for (const name of names) {
      if (!/^[a-z0-9][a-z0-9+.-]*$/.test(name)) {
        throw invalid('CloudConfig', 'package names are lower-case Debian names', name, 'Use a name such as curl.');
      }
      this.packages.add(name);
    }
    return this;
  }

  /** Writes a file; a second file with the same path is an error. */
  addFile(file: CloudConfigFile): this {
    if (!file.path.startsWith('/') || /[\s'"\\$`]/.test(file.path)) {
      throw invalid(
        'CloudConfig',
        'file paths must be absolute, without spaces or quotes',
        file.path,
        'Use a path such as /etc/spark/conf/spark-env.sh.',
      );
    }
    if (this.files.has(file.path)) {
      throw invalid('CloudConfig', 'a file with this path was already added', file.path, 'Add each file once.');
    }
    if (file.encoding !== undefined && file.encoding !== 'b64') {
      throw invalid('CloudConfig', "encoding must be 'b64' or left out", file.encoding, "Use encoding: 'b64'.");
    }
    if (file.permissions !== undefined && !/^0[0-7]{3}$/.test(file.permissions)) {
      throw invalid(
        'CloudConfig',
        'permissions must be a 4-digit octal string',
        file.permissions,
        "Use a mode such as '0640'.",
      );
    }
    this.files.set(file.path, file);
    return this;
  }

  /**
   * Runs commands once, at the end of the first boot (`runcmd`). A string runs through
   * `sh -c`; an array runs as argv, with no shell in between.
   */
  addCommands(...commands: (string | string[])[]): this {
    this.commands.push(...commands);
    return this;
  }

  /**
   * Adds a PEM certificate to the system's trusted CAs (cloud-init's `ca_certs`), before any
   * command runs. On Debian and Ubuntu, Java's trust store follows the system's.
   */
  addTrustedCaCertificate(pem: string): this {
    this.caCertificates.push(checkCaCertificate('CloudConfig', pem));
    return this;
  }

  /** Creates a system user and its group, with no login shell and no password. */
  addSystemUser(user: CloudConfigSystemUser): this {
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user.name)) {
      throw invalid('CloudConfig', 'user names are lower-case POSIX names', user.name, 'Use a name such as spark.');
    }
    this.users.set(user.name, user);
    return this;
  }

  /** The document as cloud-init reads it: `#cloud-config` and YAML. */
  render(): string {
    const doc: Record<string, unknown> = {
      ssh_pwauth: this.options.sshPasswordAuth ?? false,
      disable_root: true,
    };
    if (this.users.size > 0) {
      doc.users = [
        'default',
        ...[...this.users.values()].map((u) => ({
          name: u.name,
          system: true,
          shell: '/usr/sbin/nologin',
          homedir: u.homedir ?? '/nonexistent',
          no_create_home: u.homedir === undefined,
          lock_passwd: true,
        })),
      ];
    }
    if (this.caCertificates.length > 0) {
      doc.ca_certs = { trusted: this.caCertificates };
    }
    if (this.packages.size > 0) {
      doc.package_update = true;
      doc.packages = [...this.packages].sort();
    }
    if (this.files.size > 0) {
      doc.write_files = [...this.files.values()].map((f) => ({
        path: f.path,
        permissions: f.permissions ?? '0644',
        owner: f.owner ?? 'root:root',
        ...(f.defer ? { defer: true } : {}),
        ...(f.encoding ? { encoding: f.encoding } : {}),
        content: f.content,
      }));
    }
    if (this.commands.length > 0) {
      doc.runcmd = this.commands;
    }
    // lineWidth 0: never fold long lines, so a shell line stays one line.
    return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
  }
}
