import { SparkConfigError } from '../../lib';

/** Runs `build` and returns the SparkConfigError it throws (failing on anything else). */
export function refusal(build: () => unknown): SparkConfigError {
  try {
    build();
  } catch (err) {
    if (!(err instanceof SparkConfigError)) throw err;
    // `<where>: <problem>, got <value>. <Fix>.` on one error, no cdktf wrapping.
    expect(err.message).toMatch(/^[^\s:]+(: [^\n]+)?: .+\. [A-Z`].*\.$/s);
    expect(err.message).not.toMatch(/Resolution error|Object creation stack/);
    return err;
  }
  throw new Error('expected a SparkConfigError, but the input was accepted');
}
