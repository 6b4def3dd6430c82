import { SparkVersion } from '../lib';

const SHA = 'ab'.repeat(64);

describe('SparkVersion', () => {
  it('knows each built-in release with a 128-hex-digit SHA-512 and its Hadoop build', () => {
    for (const v of SparkVersion.KNOWN) {
      expect(v.sha512).toMatch(/^[0-9a-f]{128}$/);
      expect(v.tarballName).toBe(`spark-${v.version}-bin-hadoop3.tgz`);
      expect(v.hadoopVersion).toBe(v.major === 3 ? '3.3.4' : '3.4.1');
    }
    expect(new Set(SparkVersion.KNOWN.map((v) => v.sha512)).size).toBe(SparkVersion.KNOWN.length);
  });

  it('returns the built-in release for a known version', () => {
    expect(SparkVersion.of('3.5.7')).toBe(SparkVersion.V3_5_7);
    expect(SparkVersion.V3_5_3.mirrorPath).toBe('spark-3.5.3/spark-3.5.3-bin-hadoop3.tgz');
  });

  it('throws on an unknown version without a checksum, saying where to find one', () => {
    expect(() => SparkVersion.of('3.5.9')).toThrow(
      "SparkVersion.of('3.5.9'): no SHA-512 is built in for Spark 3.5.9. Pass { sha512: '<the 128 hex digits of spark-3.5.9-bin-hadoop3.tgz.sha512 from the Apache archive>' }.",
    );
  });

  it('accepts an unknown version with a SHA-512 and derives the Hadoop build from the minor version', () => {
    expect(SparkVersion.of('3.5.9', { sha512: SHA.toUpperCase() }).sha512).toBe(SHA);
    expect(SparkVersion.of('3.5.9', { sha512: SHA }).hadoopVersion).toBe('3.3.4');
    expect(SparkVersion.of('4.0.9', { sha512: SHA }).hadoopVersion).toBe('3.4.1');
  });

  it('throws on a checksum that is not a SHA-512', () => {
    expect(() => SparkVersion.of('3.5.9', { sha512: 'ab'.repeat(32) })).toThrow(/sha512 must be 128 hex digits/);
  });

  it('throws on a version string that is not a release number', () => {
    expect(() => SparkVersion.of('latest')).toThrow(/version must be MAJOR\.MINOR\.PATCH, got "latest"/);
  });

  it('needs the Hadoop version for a minor release it does not know, and one with pinned jars', () => {
    expect(() => SparkVersion.of('3.4.4', { sha512: SHA })).toThrow(
      /the Hadoop build of Spark 3\.4 is not known\. Pass hadoopVersion/,
    );
    expect(() => SparkVersion.of('3.4.4', { sha512: SHA, hadoopVersion: '3.3.9' })).toThrow(
      /hadoopVersion has no pinned S3A jars, got "3\.3\.9"/,
    );
  });

  it('pairs hadoop-aws with the AWS SDK bundle its Hadoop release declares', () => {
    expect(SparkVersion.V3_5_7.s3aJars.map((j) => j.path)).toEqual([
      'org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar',
      'com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar',
    ]);
    expect(SparkVersion.V4_0_1.s3aJars.map((j) => j.path)).toEqual([
      'org/apache/hadoop/hadoop-aws/3.4.1/hadoop-aws-3.4.1.jar',
      'software/amazon/awssdk/bundle/2.24.6/bundle-2.24.6.jar',
    ]);
    for (const jar of [...SparkVersion.V3_5_7.s3aJars, ...SparkVersion.V4_0_1.s3aJars]) {
      expect(jar.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
