/**
 * Checks for inputs the type system cannot vouch for: plain JavaScript, `as any`, or jsii
 * languages pass strings and plain objects where a class is expected, or leave out a
 * required prop. Each check throws a SparkConfigError naming the field, never a TypeError.
 */
import { hasControlCharacters, invalid, isUnresolved, missing } from './errors';

/** Props must be an object; returns it typed. */
export function requireObject<T>(where: string, field: string, value: T | undefined, fix: string): T {
  if (value === undefined || value === null) throw missing(where, `${field} is required`, fix);
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(where, `${field} must be an object`, value, fix);
  return value;
}

/** A class, even one whose constructor is private (made only by its static factories). */
export interface ClassOf<T> {
  readonly prototype: T;
  readonly name: string;
}

/** A required value that must be an instance of `type` (made by its static factories). */
export function requireInstance<T>(where: string, field: string, value: unknown, type: ClassOf<T>, fix: string): T {
  if (value === undefined || value === null) throw missing(where, `${field} is required`, fix);
  if (!Object.prototype.isPrototypeOf.call(type.prototype, value)) {
    throw invalid(where, `${field} must be a ${type.name}`, value, fix);
  }
  return value as T;
}

/** The same for an optional value: undefined stays undefined. */
export function optionalInstance<T>(
  where: string,
  field: string,
  value: unknown,
  type: ClassOf<T>,
  fix: string,
): T | undefined {
  return value === undefined ? undefined : requireInstance(where, field, value, type, fix);
}

/** An optional true/false: `'false'` (a string, and truthy) is refused. */
export function optionalBoolean(where: string, field: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalid(where, `${field} must be true or false`, value, `Write ${field}: true or ${field}: false.`);
  }
  return value;
}

/** An optional list of strings: a lone string would be iterated one character at a time. */
export function optionalStringList(where: string, field: string, value: unknown, fix: string): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalid(where, `${field} must be a list of strings`, value, fix);
  }
  return value;
}

/** An optional map of string values. */
export function optionalStringRecord(
  where: string,
  field: string,
  value: unknown,
  fix: string,
): Readonly<Record<string, string>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(where, `${field} must be an object of string values`, value, fix);
  }
  return value as Record<string, string>;
}

/**
 * A name the cloud keeps (an image, volume type, flavor, network): one line of 1-255
 * characters, no control characters, no surrounding spaces. Tokens pass.
 */
export function checkCloudName(where: string, field: string, value: unknown, fix: string): string {
  if (isUnresolved(value)) return value as string;
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 255 ||
    value.trim() !== value ||
    hasControlCharacters(value)
  ) {
    throw invalid(where, `${field} must be one line of 1-255 characters without surrounding spaces`, value, fix);
  }
  return value;
}

/** The largest volume accepted: 1 PiB, beyond any single Cinder volume (a typo, not a plan). */
export const MAX_VOLUME_GIB = 1048576;

/** An optional volume size in GiB: a whole number from 1 to MAX_VOLUME_GIB. */
export function checkVolumeGiB(where: string, field: string, value: unknown, example: number): number | undefined {
  if (value === undefined || isUnresolved(value)) return value as number | undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_VOLUME_GIB) {
    throw invalid(
      where,
      `${field} must be a whole number of GiB from 1 to ${MAX_VOLUME_GIB}`,
      value,
      `Give the size in GiB, e.g. ${example}, or leave it unset.`,
    );
  }
  return value;
}
