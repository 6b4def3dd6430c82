/**
 * `npm run cloud -- mirror-spark`: fills the local cloud's public mirror with Spark 3.5.7 and
 * its S3A jars, as an operator of a cloud without Internet access would. This machine cannot
 * reach the Apache archive, so scripts/e2e/spark-dist.sh assembles the release from PyPI's
 * pyspark and Maven Central's jars (cached in .cache/e2e/mirror); `cloud.sh mirror` uploads it
 * and records the tarball's SHA-512 for the example's settings (SPARK_TARBALL_SHA512).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { SparkVersion } from '../../lib';
import { REPO_ROOT } from '../tools-env';

/** Downloads, the mirror and the deploy-to-ready report; kept between runs. */
export const E2E_CACHE = process.env.E2E_CACHE ?? path.join(REPO_ROOT, '.cache', 'e2e');
/** The mirror directory, laid out like the Apache archive. */
export const MIRROR_DIR = path.join(E2E_CACHE, 'mirror');

/**
 * Spark `version` assembled by spark-dist.sh from PyPI and Maven Central into MIRROR_DIR
 * (cached there), with its S3A jars; returns the tarball and its SHA-512.
 */
export function sparkDistribution(version: SparkVersion): { tarball: string; sha512: string } {
  const jarArgs = version.s3aJars.map((j) => `${j.path}=${j.sha256}`);
  const script = path.join(REPO_ROOT, 'scripts', 'e2e', 'spark-dist.sh');
  const r = spawnSync('bash', [script, version.version, MIRROR_DIR, ...jarArgs], {
    encoding: 'utf8',
    timeout: 1_800_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const sha512 = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !/^[0-9a-f]{128}$/.test(sha512)) {
    throw new Error(`scripts/e2e/spark-dist.sh ${version.version} failed (exit ${r.status}): ${r.stdout}`);
  }
  return { tarball: path.join(MIRROR_DIR, version.mirrorPath), sha512 };
}

if (require.main === module) {
  sparkDistribution(SparkVersion.V3_5_7);
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'cloud', 'cloud.sh'), 'mirror', MIRROR_DIR], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}
