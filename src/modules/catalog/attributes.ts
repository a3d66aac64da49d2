/**
 * The rules a product must satisfy beyond its JSON shape: attributes valid for its kind,
 * a checksum-valid ISBN, a real ISO 4217 currency. Every way a product arrives (POST, PUT,
 * merge PATCH, import row) goes through `productProblems`, so paths are the same everywhere:
 * `/attributes/isbn`, or `/3/attributes/isbn` for row 3 of an import.
 */
import { Compile } from 'typebox/compile';
import type { FieldError } from '../../platform/http/errors.js';
import { BookAttributes, GoodsAttributes, type Kind, MovieAttributes, ProductInput } from './schema.js';

/** A product as validated: the writable fields with defaults applied. */
export interface ProductFields {
  sku: string;
  kind: Kind;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  status: 'active' | 'archived';
  categoryIds: string[];
  imageIds: string[];
  attributes: Record<string, unknown>;
}

const inputCheck = Compile(ProductInput);
const attributeChecks = {
  book: Compile(BookAttributes),
  movie: Compile(MovieAttributes),
  product: Compile(GoodsAttributes),
};

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** True for a code ISO 4217 lists (as known to this Node's ICU data). */
export const isCurrency = (code: string) => CURRENCIES.has(code);

/** Digits (and a final X for ISBN-10) with hyphens and spaces removed, or undefined if not an ISBN shape. */
export function normaliseIsbn(raw: string): string | undefined {
  const compact = raw.replace(/[\s-]/g, '').toUpperCase();
  return /^(\d{9}[\dX]|\d{13})$/.test(compact) ? compact : undefined;
}

/** Checks the ISBN-10 (mod 11) or ISBN-13 (mod 10, weights 1/3) check digit. */
export function isValidIsbn(raw: string): boolean {
  const isbn = normaliseIsbn(raw);
  if (!isbn) return false;
  if (isbn.length === 10) {
    let sum = 0;
    for (let i = 0; i < 10; i++) sum += (isbn[i] === 'X' ? 10 : Number(isbn[i])) * (10 - i);
    return sum % 11 === 0;
  }
  if (!isbn.startsWith('978') && !isbn.startsWith('979')) return false;
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(isbn[i]) * (i % 2 === 0 ? 1 : 3);
  return sum % 10 === 0;
}

interface SchemaError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

const pointer = (segment: string) => `/${segment.replaceAll('~', '~0').replaceAll('/', '~1')}`;

function toFieldErrors(errors: Iterable<SchemaError>, prefix: string, unknownMessage: string): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    if (e.keyword === 'required') {
      for (const name of (e.params.requiredProperties as string[]) ?? []) {
        out.push({ path: `${prefix}${e.instancePath}${pointer(name)}`, message: 'is required' });
      }
    } else if (e.keyword === 'additionalProperties') {
      for (const name of (e.params.additionalProperties as string[]) ?? []) {
        out.push({ path: `${prefix}${e.instancePath}${pointer(name)}`, message: unknownMessage });
      }
    } else if (e.keyword === 'boolean' && e.schemaPath.endsWith('/additionalProperties')) {
      // The same unknown property, reported once above.
    } else if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      // Union members report their own errors; the summary adds nothing.
    } else {
      out.push({ path: `${prefix}${e.instancePath || '/'}`, message: e.message });
    }
  }
  return out;
}

/**
 * Everything wrong with `input` as a product, with JSON-pointer paths under `prefix`
 * (e.g. `/3` for an import row). Empty means valid; then `withDefaults(input)` is safe.
 */
export function productProblems(input: unknown, prefix = ''): FieldError[] {
  if (!inputCheck.Check(input))
    return dedupe(toFieldErrors(inputCheck.Errors(input) as Iterable<SchemaError>, prefix, 'is not a known property'));
  const product = input as Partial<ProductFields> & { kind: Kind; currency: string };
  const problems: FieldError[] = [];
  if (!isCurrency(product.currency))
    problems.push({ path: `${prefix}/currency`, message: `'${product.currency}' is not an ISO 4217 currency code` });
  const attributes: Record<string, unknown> = product.attributes ?? {};
  const isbn = String(attributes.isbn);
  const check = attributeChecks[product.kind];
  if (!check.Check(attributes)) {
    problems.push(
      ...toFieldErrors(
        check.Errors(attributes) as Iterable<SchemaError>,
        `${prefix}/attributes`,
        `is not an attribute of a ${product.kind}`,
      ),
    );
  } else if (product.kind === 'book' && !isValidIsbn(isbn)) {
    problems.push({
      path: `${prefix}/attributes/isbn`,
      message: normaliseIsbn(isbn) ? 'invalid ISBN checksum' : 'must be an ISBN-10 or ISBN-13',
    });
  }
  return dedupe(problems);
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Applies defaults and normal forms to a valid input (ISBN without hyphens, trimmed name). */
export function withDefaults(input: Record<string, unknown>): ProductFields {
  const p = input as Partial<ProductFields> & Pick<ProductFields, 'sku' | 'kind' | 'name' | 'priceCents' | 'currency' | 'stock'>;
  const attributes = { ...(p.attributes ?? {}) };
  if (p.kind === 'book' && typeof attributes.isbn === 'string') attributes.isbn = normaliseIsbn(attributes.isbn) ?? attributes.isbn;
  return {
    sku: p.sku,
    kind: p.kind,
    name: p.name.trim(),
    description: p.description ?? '',
    priceCents: p.priceCents,
    currency: p.currency,
    stock: p.stock,
    status: p.status ?? 'active',
    categoryIds: p.categoryIds ?? [],
    imageIds: p.imageIds ?? [],
    attributes,
  };
}

/** RFC 7396 JSON merge patch: objects merge member-wise, null deletes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = applyMergePatch(base[key], value);
  }
  return base;
}
