/**
 * Typed columns that grow by fixed chunks: no copy and no doubling when they grow, so a column of
 * a million numbers costs what it holds (plus at most one chunk), never twice that while it grows.
 */
type Typed = Int32Array | Uint32Array | Float64Array | Float32Array | Uint8Array | Uint16Array;

const SHIFT = 16;
const CHUNK = 1 << SHIFT;
const MASK = CHUNK - 1;

export class Column<T extends Typed> {
  private readonly chunks: T[] = [];
  constructor(
    private readonly make: (n: number) => T,
    private readonly width = 1,
  ) {}

  /** The chunk holding entry `i` (allocated on first use) and the entry's offset in it. */
  at(i: number): [T, number] {
    const c = i >>> SHIFT;
    while (this.chunks.length <= c) this.chunks.push(this.make(CHUNK * this.width));
    return [this.chunks[c] as T, (i & MASK) * this.width];
  }

  get(i: number): number {
    const [chunk, o] = this.at(i);
    return chunk[o] as number;
  }

  set(i: number, value: number): void {
    const [chunk, o] = this.at(i);
    chunk[o] = value;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Ids as 4 × 32 bits when they are lower-case UUIDs (as Cinder and EVS write them), else as
 * strings on the side: 16 bytes an id instead of a ~60-byte string.
 */
export class IdColumn {
  private readonly words = new Column((n) => new Uint32Array(n), 4);
  private readonly others = new Map<number, string>();

  set(i: number, id: string): void {
    if (!UUID.test(id)) {
      this.others.set(i, id);
      return;
    }
    const [chunk, o] = this.words.at(i);
    const hex = id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24, 36);
    for (let w = 0; w < 4; w++) chunk[o + w] = Number.parseInt(hex.slice(w * 8, w * 8 + 8), 16);
    this.others.delete(i);
  }

  get(i: number): string {
    const other = this.others.get(i);
    if (other !== undefined) return other;
    const [chunk, o] = this.words.at(i);
    const hex = Array.from(chunk.subarray(o, o + 4), (w) => w.toString(16).padStart(8, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** The first 32 bits (for UUIDs: the id's order in Cinder's `id desc` tie-break), else a hash of the id. */
  first(i: number): number {
    const other = this.others.get(i);
    if (other === undefined) return this.words.get(i);
    let h = 2_166_136_261;
    for (let k = 0; k < other.length; k++) h = Math.imul(h ^ other.charCodeAt(k), 16_777_619);
    return h >>> 0;
  }
}

/** A short list of distinct strings (statuses, names) as small numbers; past the cap, unknown. */
export class Interned {
  private readonly index = new Map<string, number>();
  readonly values: string[] = [];
  constructor(private readonly cap: number) {}
  of(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      if (this.values.length >= this.cap) return this.cap;
      i = this.values.length;
      this.index.set(value, i);
      this.values.push(value);
    }
    return i;
  }
}

const TEXT_CHUNK = 1 << 16;

/**
 * Strings (or null), appended once each, as one byte a character in chunked byte buffers with an
 * offset and length each: no string object per entry on the heap, whose garbage collector grows
 * the heap by a multiple of what stays alive. A string with a character past U+00FF, or longer
 * than a chunk, is kept as it is on the side, so every value reads back exactly as given.
 */
export class TextColumn {
  private readonly chunks: Uint8Array[] = [];
  private used = 0;
  // Per entry: chunk index, offset in it, length (-1: null, -2: kept on the side).
  private readonly where = new Column((n) => new Int32Array(n), 3);
  private readonly others = new Map<number, string>();

  set(i: number, value: string | null): void {
    const [w, o] = this.where.at(i);
    if (value === null) {
      w[o + 2] = -1;
      return;
    }
    let narrow = value.length <= TEXT_CHUNK;
    for (let k = 0; narrow && k < value.length; k++) if (value.charCodeAt(k) > 0xff) narrow = false;
    if (!narrow) {
      w[o + 2] = -2;
      this.others.set(i, value);
      return;
    }
    if (this.chunks.length === 0 || this.used + value.length > TEXT_CHUNK) {
      this.chunks.push(new Uint8Array(TEXT_CHUNK));
      this.used = 0;
    }
    const chunk = this.chunks[this.chunks.length - 1] as Uint8Array;
    for (let k = 0; k < value.length; k++) chunk[this.used + k] = value.charCodeAt(k);
    w[o] = this.chunks.length - 1;
    w[o + 1] = this.used;
    w[o + 2] = value.length;
    this.used += value.length;
  }

  get(i: number): string | null {
    const [w, o] = this.where.at(i);
    const length = w[o + 2] as number;
    if (length === -1) return null;
    if (length === -2) return this.others.get(i) ?? null;
    const start = w[o + 1] as number;
    const bytes = (this.chunks[w[o] as number] as Uint8Array).subarray(start, start + length);
    let out = '';
    // In slices, so a long value does not pass too many arguments at once.
    for (let k = 0; k < bytes.length; k += 8_192)
      out += String.fromCharCode.apply(null, bytes.subarray(k, k + 8_192) as unknown as number[]);
    return out;
  }
}
