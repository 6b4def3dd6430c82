import { Token } from 'cdktf';

/** A synth-time input error: names where, what is wrong with which value, and the fix. */
export class SparkConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SparkConfigError';
  }
}

const NOT_GIVEN = Symbol('not given');

/** Formats a value for an error message, short enough to read in a terminal. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
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
