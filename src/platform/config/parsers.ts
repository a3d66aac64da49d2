/**
 * Parsers turn one raw environment value into a typed one, or throw with the reason; the
 * loader prefixes the variable's name. Settings files (the platform's and each module's)
 * compose their declarations from these.
 */
import { resolve } from 'node:path';

/** Reads one raw, non-empty value; throws an Error whose message says what is wrong. */
export type Parser<T> = (raw: string) => T;

/** Throws the reason a value is refused; for custom parsers (`raw.length >= 8 ? raw : fail('...')`). */
export const fail = (why: string): never => {
  throw new Error(why);
};

/** A whole number in [min, max]. */
export const int =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    if (!/^\d+$/.test(raw)) fail(`must be a whole number, got '${raw}'`);
    const n = Number(raw);
    if (n < min || n > max) fail(`must be between ${min} and ${max}, got ${n}`);
    return n;
  };

/** The value as given. */
export const str: Parser<string> = (raw) => raw;

/** true/1/yes or false/0/no, in any case. */
export const bool: Parser<boolean> = (raw) => {
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  return fail(`must be true or false, got '${raw}'`);
};

/** A URL with one of `protocols` (written with the colon: 'https:'); kept as given. */
export const url =
  (...protocols: string[]): Parser<string> =>
  (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return fail('must be a URL');
    }
    if (!protocols.includes(parsed.protocol)) {
      fail(`must use ${protocols.join(' or ')}, got '${parsed.protocol}'`);
    }
    return raw;
  };

/** One of the listed words. */
export const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw) =>
    values.includes(raw as T) ? (raw as T) : fail(`must be one of ${values.join(', ')}, got '${raw}'`);

/** A decimal number from 0 to 1 (a share). */
export const ratio: Parser<number> = (raw) => {
  const value = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isNaN(value) ? fail(`must be a number from 0 to 1, got '${raw}'`) : value;
};

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** A size in bytes: 1048576, 512kb, 10mb, 1gb (binary units). */
export const bytes: Parser<number> = (raw) => {
  const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!m) return fail(`must be a size like 1048576, 512kb or 10mb, got '${raw}'`);
  return Number(m[1]) * (UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1);
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration in milliseconds: 500ms, 15m, 24h, 7d (a unit is required). */
export const duration: Parser<number> = (raw) => {
  const m = /^(\d+)\s*(ms|s|m|h|d)$/.exec(raw.trim());
  if (!m) return fail(`must be a duration like 500ms, 15m, 24h or 7d, got '${raw}'`);
  return Number(m[1]) * (DURATION_UNITS[m[2] as string] ?? 1);
};

/**
 * A duration within bounds written as durations themselves ('100ms', '10m'), so the refusal
 * reads as the bounds do: "must be between 100ms and 10m", or "must be at least 1s" without `max`.
 */
export const durationBetween = (min: string, max?: string): Parser<number> => {
  const low = duration(min);
  const high = max === undefined ? Number.POSITIVE_INFINITY : duration(max);
  const why = max === undefined ? `must be at least ${min}` : `must be between ${min} and ${max}`;
  return (raw) => {
    const ms = duration(raw);
    return ms >= low && ms <= high ? ms : fail(why);
  };
};

/** A comma-separated list of browser origins (scheme://host[:port]); '*' is refused. */
export const origins: Parser<string[]> = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((o) => {
      if (o === '*') return fail("'*' is not allowed: list the origins that may call the API");
      const u = url('http:', 'https:')(o);
      const parsed = new URL(u);
      if (parsed.pathname !== '/' || parsed.search) fail(`'${o}' must be an origin (scheme://host[:port]), not a URL`);
      return parsed.origin;
    });

/** A key of at least 32 characters. */
export const secret: Parser<string> = (raw) =>
  raw.length >= 32 ? raw : fail('must be at least 32 characters (use `openssl rand -base64 48`)');

/** An email address, trimmed and lower-cased. */
export const email: Parser<string> = (raw) =>
  /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(raw) ? raw.trim().toLowerCase() : fail('must be an email address');

/** A folder, resolved against the working directory. */
export const folder: Parser<string> = (raw) => resolve(raw);
