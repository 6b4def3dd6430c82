import { Token } from 'cdktf';

/** A synth-time input error: names where, what is wrong with which value, and the fix. */
export class SparkConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SparkConfigError';
    // cdktf rewrites the message of an error thrown while it resolves a token (user data is
    // rendered then) into "Resolution error: ... Object creation stack: ..." and rethrows the
    // same object. Keep ours: the user should read where, what and the fix, nothing else.
    Object.defineProperty(this, 'message', {
      get: () => message,
      set: () => undefined,
      enumerable: false,
      configurable: false,
    });
  }
}

const NOT_GIVEN = Symbol('not given');

/** JSON, except that numbers JSON cannot write (NaN, Infinity) and bigints print as themselves. */
function json(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (typeof v === 'bigint') return `${v}n`;
    return v;
  });
}

/** Formats a value for an error message, short enough to read in a terminal. */
function show(value: unknown): string {
  let text: string;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'symbol') {
    text = typeof value === 'bigint' ? `${value}n` : String(value);
  } else if (typeof value === 'function') {
    text = `function ${value.name || '(anonymous)'}`;
  } else {
    try {
      text = json(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value); // circular structures
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * `<where>: <problem>, got <value>. <fix>` — e.g.
 * `analytics/Workers/general: count must be >= 1, got 0. Remove the pool or set count: 1.`
 */
export function invalid(where: string, problem: string, got: unknown, fix: string): SparkConfigError {
  const value = got === NOT_GIVEN ? '' : `, got ${show(got)}`;
  return new SparkConfigError(`${where}: ${problem}${value}. ${fix}`);
}

/** The same shape, for a required value that is missing. */
export function missing(where: string, problem: string, fix: string): SparkConfigError {
  return invalid(where, problem, NOT_GIVEN, fix);
}

/** True for a value that is a cdktf token (known only at apply time): skip validating it. */
export function isUnresolved(value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number') && Token.isUnresolved(value);
}

/** True for text with a newline, another control character, or DEL. */
export function hasControlCharacters(value: string): boolean {
  return [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}
