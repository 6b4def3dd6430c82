import { invalid, missing } from './private/errors';

/** A jar fetched from a Maven repository by the bootstrap, verified by its SHA-256. */
export interface MavenJar {
  /** Path under the repository root, e.g. `org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar`. */
  readonly path: string;
  /** SHA-256 of the jar, hex. */
  readonly sha256: string;
}

/** Options for a Spark release the library does not know. */
export interface SparkVersionOptions {
  /**
   * SHA-512 of the binary tarball, as Apache publishes it next to the download
   * (`<tarball>.sha512`), 128 hex digits. The bootstrap refuses a tarball that does not match.
   */
  readonly sha512: string;
  /**
   * The Hadoop version the distribution is built with; selects the hadoop-aws jar for S3A.
   * @default '3.3.4' for Spark 3.5, '3.4.1' for Spark 4.0
   */
  readonly hadoopVersion?: string;
}

interface HadoopS3a {
  readonly hadoopAws: MavenJar;
  readonly awsSdkBundle: MavenJar;
}

// hadoop-aws and the AWS SDK bundle its pom declares (hadoop-project's aws-java-sdk version),
// with SHA-256 digests of the jars on Maven Central (whose published SHA-1s they match).
const S3A_JARS: Record<string, HadoopS3a> = {
  '3.3.4': {
    hadoopAws: {
      path: 'org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar',
      sha256: '53f9ae03c681a30a50aa17524bd9790ab596b28481858e54efd989a826ed3a4a',
    },
    awsSdkBundle: {
      path: 'com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar',
      sha256: '873fe7cf495126619997bec21c44de5d992544aea7e632fdc77adb1a0915bae5',
    },
  },
  '3.4.1': {
    hadoopAws: {
      path: 'org/apache/hadoop/hadoop-aws/3.4.1/hadoop-aws-3.4.1.jar',
      sha256: '01334a07e179cae2b7e251f24857f11e3759108c9d6a79dcbe362a4295227da2',
    },
    awsSdkBundle: {
      path: 'software/amazon/awssdk/bundle/2.24.6/bundle-2.24.6.jar',
      sha256: '890bf9f2a80488f7a8aa8277d64d13a9ea3a3cdff8607ef3b63a878d8b467b41',
    },
  },
};

const DEFAULT_HADOOP: Record<string, string> = { '3.5': '3.3.4', '4.0': '3.4.1' };

/**
 * A pinned Apache Spark release: version, the SHA-512 of its `-bin-hadoop3` tarball, and the
 * Hadoop build it carries (which decides the S3A jars).
 *
 * @example
 * SparkVersion.V3_5_7
 * SparkVersion.of('3.5.9', { sha512: '<128 hex digits from the .sha512 file>' })
 */
export class SparkVersion {
  /** Spark 3.5.3 (Hadoop 3.3.4, Scala 2.12). */
  static readonly V3_5_3 = new SparkVersion(
    '3.5.3',
    '3b041e538282c15ad3b0ab2f05d558e1be2d16e047c2a98ca9c08176c4a50e7101bd2199aec97a66fdabf4b3f490c2c1cefd547bbe35a1b3e3143e066948ee6d',
    '3.3.4',
  );
  /** Spark 3.5.5 (Hadoop 3.3.4, Scala 2.12). */
  static readonly V3_5_5 = new SparkVersion(
    '3.5.5',
    'ec5ff678136b1ff981e396d1f7b5dfbf399439c5cb853917e8c954723194857607494a89b7e205fce988ec48b1590b5caeae3b18e1b5db1370c0522b256ff376',
    '3.3.4',
  );
  /** Spark 3.5.7 (Hadoop 3.3.4, Scala 2.12). */
  static readonly V3_5_7 = new SparkVersion(
    '3.5.7',
    'f3b7d5974d746b9aaecb19104473da91068b698a4d292177deb75deb83ef9dc7eb77062446940561ac9ab7ee3336fb421332b1c877292dab4ac1b6ca30f4f2e0',
    '3.3.4',
  );
  /** Spark 4.0.0 (Hadoop 3.4.1, Scala 2.13, Java 17+). */
  static readonly V4_0_0 = new SparkVersion(
    '4.0.0',
    'b5a9e2ea22ac971bad81ab079e510f1ab92732efaf790af4b895174b28d99a65d35543f4300caa073257b6fe42062daafe3eea106d1945806166098606f8d03c',
    '3.4.1',
  );
  /** Spark 4.0.1 (Hadoop 3.4.1, Scala 2.13, Java 17+). */
  static readonly V4_0_1 = new SparkVersion(
    '4.0.1',
    '9198602c6b931b46686f32a25793b3bb58b522cd98a5b6a94d2484bae32e3e7b520d60f4bffe72ba29ff5c9ecd862443841ee47dde0f2f9e1bf52539f7baef41',
    '3.4.1',
  );

  /** Every release with a built-in checksum, oldest first. */
  static readonly KNOWN: readonly SparkVersion[] = [
    SparkVersion.V3_5_3,
    SparkVersion.V3_5_5,
    SparkVersion.V3_5_7,
    SparkVersion.V4_0_0,
    SparkVersion.V4_0_1,
  ];

  /**
   * A Spark release by version. Known releases need no options; any other needs the SHA-512
   * of its tarball.
   */
  static of(version: string, options?: SparkVersionOptions): SparkVersion {
    const where = `SparkVersion.of('${version}')`;
    if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) {
      throw invalid(where, 'version must be MAJOR.MINOR.PATCH', version, 'Use a release number such as 3.5.7.');
    }
    const known = SparkVersion.KNOWN.find((v) => v.version === version);
    if (!options) {
      if (!known) {
        throw missing(
          where,
          `no SHA-512 is built in for Spark ${version}`,
          `Pass { sha512: '<the 128 hex digits of spark-${version}-bin-hadoop3.tgz.sha512 from the Apache archive>' }.`,
        );
      }
      return known;
    }
    const sha512 = typeof options.sha512 === 'string' ? options.sha512.trim().toLowerCase() : '';
    if (!/^[0-9a-f]{128}$/.test(sha512)) {
      throw invalid(
        where,
        'sha512 must be 128 hex digits',
        options.sha512,
        'Give the SHA-512 from the .sha512 file (not a SHA-256 or a URL).',
      );
    }
    const minor = version.split('.').slice(0, 2).join('.');
    const hadoopVersion = options.hadoopVersion ?? DEFAULT_HADOOP[minor];
    if (!hadoopVersion) {
      throw missing(
        where,
        `the Hadoop build of Spark ${minor} is not known`,
        `Pass hadoopVersion (one of ${Object.keys(S3A_JARS).join(', ')}).`,
      );
    }
    return new SparkVersion(version, sha512, hadoopVersion);
  }

  /** The tarball's name, e.g. `spark-3.5.7-bin-hadoop3.tgz`. */
  readonly tarballName: string;
  /** The top-level directory inside the tarball. */
  readonly distributionName: string;

  private constructor(
    /** The release number, e.g. `3.5.7`. */
    readonly version: string,
    /** SHA-512 of the tarball, lower-case hex. */
    readonly sha512: string,
    /** The Hadoop version the distribution is built with. */
    readonly hadoopVersion: string,
  ) {
    if (!S3A_JARS[hadoopVersion]) {
      throw invalid(
        `SparkVersion.of('${version}')`,
        'hadoopVersion has no pinned S3A jars',
        hadoopVersion,
        `Use one of ${Object.keys(S3A_JARS).join(', ')}.`,
      );
    }
    this.distributionName = `spark-${version}-bin-hadoop3`;
    this.tarballName = `${this.distributionName}.tgz`;
  }

  /** The major version (3 or 4). */
  get major(): number {
    return Number(this.version.split('.')[0]);
  }

  /** The tarball's path under a mirror laid out like the Apache archive. */
  get mirrorPath(): string {
    return `spark-${this.version}/${this.tarballName}`;
  }

  /** hadoop-aws and the AWS SDK bundle matching this release's Hadoop, for S3A. */
  get s3aJars(): readonly MavenJar[] {
    const jars = S3A_JARS[this.hadoopVersion];
    return [jars.hadoopAws, jars.awsSdkBundle];
  }
}
