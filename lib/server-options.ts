import { hasControlCharacters, invalid, isUnresolved } from './private/errors';
import { optionalStringRecord } from './private/inputs';
import { SETTINGS_METADATA_KEY } from './private/settings-record';

/**
 * What happens to existing servers when their rendered user data changes (a Spark setting,
 * the Spark version, the mirror...). Nova forces a new server for new user data.
 */
export class UserDataChangePolicy {
  /**
   * Existing servers keep running with the user data they booted with; the plan shows no
   * change for them, and the plan review (`npm run plan`) names what they miss (their
   * `spark:settings` metadata record is kept as they booted, too). New servers (scale-up,
   * new pools) boot with the new user data. To roll a change out, replace servers a batch
   * at a time: `npm run rollout -- <stack>`.
   */
  static readonly IGNORE = new UserDataChangePolicy('ignore');
  /** Terraform's default: every server whose user data changed is destroyed and recreated. */
  static readonly REPLACE = new UserDataChangePolicy('replace');

  private constructor(readonly mode: 'ignore' | 'replace') {}

  /** The lifecycle block of a server under this policy (none for REPLACE). */
  get lifecycle(): { ignoreChanges: string[] } | undefined {
    // The settings record describes the user data: it is kept, and ignored, with it.
    return this.mode === 'ignore'
      ? { ignoreChanges: ['user_data', `metadata["${SETTINGS_METADATA_KEY}"]`] }
      : undefined;
  }
}

/** How Nova places a pool's workers on hypervisors (a server group policy). */
export class Placement {
  /** Spread workers over hypervisors when possible, but still boot them when not. */
  static readonly SOFT_ANTI_AFFINITY = new Placement('soft-anti-affinity');
  /** Never two workers of the pool on one hypervisor (boot fails when there are too few). */
  static readonly ANTI_AFFINITY = new Placement('anti-affinity');
  /** No server group: Nova places workers as it likes. */
  static readonly NONE = new Placement(undefined);

  private constructor(readonly policy: string | undefined) {}
}

/** Nova's default `metadata_items` quota: items per server, the library's own keys included. */
export const NOVA_METADATA_ITEMS = 128;

/**
 * Checks server metadata: Nova allows 255 characters per key and value and, by default,
 * 128 items per server; `libraryKeys` is how many `spark:*` keys the library adds.
 */
export function validateMetadata(
  where: string,
  metadata: Readonly<Record<string, string>> | undefined,
  libraryKeys = 0,
): void {
  const entries = Object.entries(optionalStringRecord(where, 'metadata', metadata, "Use e.g. { team: 'data' }."));
  if (entries.length + libraryKeys > NOVA_METADATA_ITEMS) {
    throw invalid(
      where,
      `metadata has ${entries.length} items; with the library's ${libraryKeys} that is over Nova's default limit of ${NOVA_METADATA_ITEMS}`,
      entries.length,
      `Keep at most ${NOVA_METADATA_ITEMS - libraryKeys} items (tags or fewer labels).`,
    );
  }
  for (const [key, value] of entries) {
    if (!/^[A-Za-z0-9_.:-]{1,255}$/.test(key)) {
      throw invalid(
        where,
        'metadata keys must be 1-255 letters, digits, _ . : -',
        key,
        'Use keys such as team or cost-center.',
      );
    }
    if (key.startsWith('spark:')) {
      throw invalid(
        where,
        "metadata keys starting with spark: are the library's own (it sets spark:cluster, spark:role, spark:pool, spark:settings, spark:local-volume)",
        key,
        'Use a key without the spark: prefix, e.g. team.',
      );
    }
    if (isUnresolved(value)) continue;
    if (typeof value !== 'string' || value.length > 255 || hasControlCharacters(value)) {
      throw invalid(
        where,
        `metadata value of ${key} must be one line of at most 255 characters`,
        value,
        'Shorten the value and remove newlines.',
      );
    }
  }
}
