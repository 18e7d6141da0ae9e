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
