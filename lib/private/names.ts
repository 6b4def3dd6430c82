import { invalid } from './errors';

/** Names that end up in server names, container names and systemd/cloud-init text. */
const NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$|^[a-z]$/;

/** Checks a resource-name component: lower case, digits and dashes, 1..40 characters. */
export function validateName(where: string, field: string, value: string): string {
  if (!NAME.test(value)) {
    throw invalid(
      where,
      `${field} must be 1-40 lower-case letters, digits or dashes, starting with a letter`,
      value,
      `Use a name such as "analytics" or "gpu-pool".`,
    );
  }
  return value;
}

/**
 * Server metadata naming the Cinder volume the bootstrap formats and mounts for Spark's local
 * dirs: it finds the disk by that ID's serial (lib/assets/spark-bootstrap.sh).
 */
export const LOCAL_VOLUME_METADATA_KEY = 'spark:local-volume';

/** `spark://m1:7077,m2:7077,m3:7077`: every master, for workers and drivers to try in turn. */
export function sparkMasterUrl(masters: readonly string[], port: number): string {
  return `spark://${masters.map((ip) => `${ip}:${port}`).join(',')}`;
}
