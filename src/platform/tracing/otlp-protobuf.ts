/**
 * OTLP protobuf encoding of finished spans, one span at a time, so a span can be encoded the
 * moment it ends and its objects die young instead of waiting in a batch for the exporter.
 *
 * Why not the exporter's own serializer: it takes the whole batch of span objects at export time
 * (two passes over each span: a size estimate, then the write), so every span outlives several
 * young-generation collections first. Measured on `GET /products/{id}` with tracing at 100 %, the
 * extra garbage collection was the largest single cost of tracing (`bench/observability.ts`).
 *
 * The bytes are the ones `ProtobufTraceSerializer` of @opentelemetry/otlp-transformer writes for
 * the same spans, field for field (`otlp-protobuf.test.ts` compares them), so any OTLP receiver
 * reads them alike. Field numbers: opentelemetry-proto, trace/v1/trace.proto and common/v1/common.proto.
 */
import type { Attributes, AttributeValue, HrTime, Link } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';

type InstrumentationScope = ReadableSpan['instrumentationScope'];
type Resource = ReadableSpan['resource'];

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;
const TWO_POW_32 = 4294967296;
/** The value of each hex digit's character code (0 for anything else). */
const NIBBLE = new Uint8Array(128);
for (let digit = 0; digit < 16; digit++) {
  NIBBLE[digit.toString(16).charCodeAt(0)] = digit;
  NIBBLE[digit.toString(16).toUpperCase().charCodeAt(0)] = digit;
}
/** Span.flags: the W3C trace flags, plus "the parent's remoteness is known" and "it is remote". */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** A growable protobuf writer over one Buffer, reused from batch to batch. */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Unsigned varint; a negative number is written as its 64-bit two's complement (int64), as protobuf does. */
  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value >= 0 && value < TWO_POW_32) {
      let v = value >>> 0;
      while (v > 127) {
        buf[this.pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[this.pos++] = v;
      return;
    }
    const magnitude = Math.abs(value);
    let low = magnitude >>> 0;
    let high = (magnitude / TWO_POW_32) >>> 0;
    if (value < 0) {
      low = (~low + 1) >>> 0;
      high = (~high + (low === 0 ? 1 : 0)) >>> 0;
    }
    while (high > 0 || low > 127) {
      buf[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  string(field: number, value: string): void {
    this.tag(field, LENGTH_DELIMITED);
    const length = value.length;
    // Short ASCII text (names, keys, most values) is copied in JavaScript: cheaper than a call
    // into the native UTF-8 encoder per string.
    if (length < 128) {
      this.ensure(1 + length);
      const buf = this.buf;
      let at = this.pos + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 128) break;
        buf[at++] = code;
      }
      if (i === length) {
        buf[this.pos] = length;
        this.pos = at;
        return;
      }
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varint(bytes);
    this.ensure(bytes);
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  /** A bytes field from a lower-case hex id (trace and span ids), decoded here rather than through a Buffer call. */
  hexBytes(field: number, hex: string): void {
    const length = hex.length >>> 1;
    this.tag(field, LENGTH_DELIMITED);
    this.ensure(1 + length);
    const buf = this.buf;
    buf[this.pos++] = length;
    for (let i = 0; i < length; i++)
      buf[this.pos++] = ((NIBBLE[hex.charCodeAt(2 * i)] as number) << 4) | (NIBBLE[hex.charCodeAt(2 * i + 1)] as number);
  }

  fixed32(field: number, value: number): void {
    this.tag(field, FIXED32);
    this.ensure(4);
    this.pos = this.buf.writeUInt32LE(value >>> 0, this.pos);
  }

  /** An HrTime ([seconds, nanoseconds]) as fixed64 nanoseconds, split in 32-bit halves to stay exact. */
  time(field: number, [seconds, nanos]: HrTime): void {
    this.tag(field, FIXED64);
    this.ensure(8);
    // seconds * 1e9 passes 2^53: multiply the low and high 16 bits of the seconds separately.
    const fromLow = (seconds & 0xffff) * 1e9;
    const fromHigh = ((seconds / 0x10000) >>> 0) * 1e9;
    const low = (fromLow >>> 0) + (((fromHigh & 0xffff) * 0x10000) >>> 0) + nanos;
    const high = Math.floor(fromLow / TWO_POW_32) + ((fromHigh / 0x10000) >>> 0) + Math.floor(low / TWO_POW_32);
    this.buf.writeUInt32LE(low >>> 0, this.pos);
    this.buf.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  double(field: number, value: number): void {
    this.tag(field, FIXED64);
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  /** Opens a length-delimited field; `end` writes its length. One byte is reserved: most are short. */
  begin(field: number): number {
    this.tag(field, LENGTH_DELIMITED);
    this.ensure(1);
    return this.pos++;
  }

  end(start: number): void {
    const length = this.pos - start - 1;
    if (length < 128) {
      this.buf[start] = length;
      return;
    }
    let size = 1;
    for (let v = length; v > 127; v >>>= 7) size++;
    this.ensure(size - 1);
    this.buf.copy(this.buf, start + size, start + 1, this.pos);
    this.pos += size - 1;
    let at = start;
    let v = length;
    while (v > 127) {
      this.buf[at++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[at] = v;
  }

  /** Appends raw, already encoded bytes. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** AnyValue: string 1, bool 2, int 3, double 4, array 5, key-value list 6, bytes 7. */
function writeAnyValue(w: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.string(1, value);
      return;
    case 'boolean':
      w.tag(2, VARINT);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        w.tag(3, VARINT);
        w.varint(value);
      } else w.double(4, value);
      return;
  }
  if (value instanceof Uint8Array) {
    const start = w.begin(7);
    w.raw(value);
    w.end(start);
  } else if (Array.isArray(value)) {
    const list = w.begin(5);
    for (const item of value) {
      const start = w.begin(1);
      writeAnyValue(w, item);
      w.end(start);
    }
    w.end(list);
  } else if (typeof value === 'object' && value !== null) {
    const list = w.begin(6);
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      writeKeyValue(w, 1, key, (value as Record<string, unknown>)[key]);
    }
    w.end(list);
  }
}

function writeKeyValue(w: ProtoWriter, field: number, key: string, value: unknown): void {
  const start = w.begin(field);
  w.string(1, key);
  const anyValue = w.begin(2);
  writeAnyValue(w, value);
  w.end(anyValue);
  w.end(start);
}

function writeAttributes(w: ProtoWriter, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    writeKeyValue(w, field, key, attributes[key] as AttributeValue | undefined);
  }
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

function writeEvent(w: ProtoWriter, event: TimedEvent): void {
  const start = w.begin(11);
  w.time(1, event.time);
  w.string(2, event.name);
  if (event.attributes) writeAttributes(w, 3, event.attributes);
  w.tag(4, VARINT);
  w.varint(event.droppedAttributesCount ?? 0);
  w.end(start);
}

function writeLink(w: ProtoWriter, link: Link): void {
  const start = w.begin(13);
  const ctx = link.context;
  w.hexBytes(1, ctx.traceId);
  w.hexBytes(2, ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) w.string(3, traceState);
  if (link.attributes) writeAttributes(w, 4, link.attributes);
  w.tag(5, VARINT);
  w.varint(link.droppedAttributesCount ?? 0);
  w.fixed32(6, spanFlags(ctx.traceFlags, ctx.isRemote));
  w.end(start);
}

/** Writes `span` as one `ScopeSpans.spans` entry (field 2, length-delimited). */
export function writeSpan(w: ProtoWriter, span: ReadableSpan): void {
  const start = w.begin(2);
  const ctx = span.spanContext();
  w.hexBytes(1, ctx.traceId);
  w.hexBytes(2, ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) w.string(3, traceState);
  const parent = span.parentSpanContext;
  if (parent?.spanId) w.hexBytes(4, parent.spanId);
  w.string(5, span.name);
  // OTLP's SpanKind counts from 1 (0 is "unspecified"); the API's from 0.
  w.tag(6, VARINT);
  w.varint(span.kind + 1);
  w.time(7, span.startTime);
  w.time(8, span.endTime);
  writeAttributes(w, 9, span.attributes);
  w.tag(10, VARINT);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) writeEvent(w, event);
  w.tag(12, VARINT);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) writeLink(w, link);
  w.tag(14, VARINT);
  w.varint(span.droppedLinksCount);
  const status = w.begin(15);
  if (span.status.message) w.string(2, span.status.message);
  w.tag(3, VARINT);
  w.varint(span.status.code);
  w.end(status);
  w.fixed32(16, spanFlags(ctx.traceFlags, parent?.isRemote));
  w.end(start);
}

/** The encoded spans of one instrumentation scope, waiting for export. */
export interface ScopeBatch {
  scope: InstrumentationScope;
  /** Concatenated `ScopeSpans.spans` entries (see writeSpan). */
  spans: Uint8Array;
}

/** An ExportTraceServiceRequest: one ResourceSpans of `resource` with the scopes' encoded spans. */
export function exportRequest(resource: Resource, batches: readonly ScopeBatch[]): Uint8Array {
  const size = batches.reduce((sum, b) => sum + b.spans.length, 0);
  const w = new ProtoWriter(size + 4096);
  const resourceSpans = w.begin(1);
  const resourceField = w.begin(1);
  writeAttributes(w, 1, resource.attributes);
  w.tag(2, VARINT);
  w.varint(0);
  w.end(resourceField);
  for (const { scope, spans } of batches) {
    const scopeSpans = w.begin(2);
    const scopeField = w.begin(1);
    w.string(1, scope.name);
    if (scope.version) w.string(2, scope.version);
    const { attributes, droppedAttributesCount } = scope as { attributes?: Attributes; droppedAttributesCount?: number };
    if (attributes) writeAttributes(w, 3, attributes);
    if (droppedAttributesCount) {
      w.tag(4, VARINT);
      w.varint(droppedAttributesCount);
    }
    w.end(scopeField);
    w.raw(spans);
    if (scope.schemaUrl) w.string(3, scope.schemaUrl);
    w.end(scopeSpans);
  }
  if (resource.schemaUrl) w.string(3, resource.schemaUrl);
  w.end(resourceSpans);
  return w.bytes();
}
