/**
 * A short, non-secret record of what a server's user data configures, kept in the server's
 * metadata (`spark:settings`). Under UserDataChangePolicy.IGNORE the record is ignored
 * together with user_data, so Terraform state keeps the record of what each server booted
 * with while the configuration carries the record of what it would boot with today: the
 * plan review compares the two and names what a running server does not have.
 *
 * Plain values are those nobody needs to hide (the master's address, executor sizes, the
 * Spark version); everything else is a truncated SHA-256 of its resolved Terraform text,
 * in which secrets appear only as references, never as values.
 */
import { createHash } from 'crypto';

/** The metadata key of the record. */
export const SETTINGS_METADATA_KEY = 'spark:settings';
const VERSION = 'v1';

/** The parts of a record, each a short string (`off` when a capability is not configured). */
export interface SettingsRecord {
  /** The master's address (SPARK_MASTER_HOST, spark.master). */
  readonly master: string;
  /** Executor defaults: `cores/heap/overhead`, e.g. `3/6237m/624m`. */
  readonly executor: string;
  /** Object storage (S3A, event logs, history server): `off` or a digest. */
  readonly objectStorage: string;
  /** Web UI TLS: `off` or a digest of the certificate chain. */
  readonly webUiTls: string;
  /** The Spark release. */
  readonly sparkVersion: string;
  /** The user's sparkConf: `none` or a digest. */
  readonly sparkConf: string;
  /** The whole rendered user data, as a digest: catches everything the parts do not name. */
  readonly userData: string;
}

const KEYS: Record<keyof SettingsRecord, string> = {
  master: 'm',
  executor: 'x',
  objectStorage: 's3',
  webUiTls: 'tls',
  sparkVersion: 'v',
  sparkConf: 'conf',
  userData: 'ud',
};

/** A 12-hex-digit SHA-256 of the text: enough to tell versions apart, too short to carry data. */
export function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** A value for the record: as is when short and plain, else its digest. */
export function plainOrDigest(text: string): string {
  return /^[A-Za-z0-9./:-]{1,40}$/.test(text) ? text : `#${digest(text)}`;
}

/** The record as one metadata value (Nova allows 255 characters). */
export function formatSettingsRecord(record: SettingsRecord): string {
  const parts = (Object.keys(KEYS) as (keyof SettingsRecord)[]).map((k) => `${KEYS[k]}=${record[k]}`);
  const text = [VERSION, ...parts].join(';');
  if (text.length > 255) throw new Error(`settings record is ${text.length} characters, over Nova's 255: ${text}`);
  return text;
}

/** Reads a record back; undefined when the text is not one (or of another version). */
export function parseSettingsRecord(text: unknown): SettingsRecord | undefined {
  if (typeof text !== 'string') return undefined;
  const [version, ...parts] = text.split(';');
  if (version !== VERSION) return undefined;
  const values = new Map(parts.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  const out: Record<string, string> = {};
  for (const [field, key] of Object.entries(KEYS)) {
    const value = values.get(key);
    if (value === undefined) return undefined;
    out[field] = value;
  }
  return out as unknown as SettingsRecord;
}
