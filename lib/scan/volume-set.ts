import type { VolumeIndex } from '../policy/policy';

// Two FNV-1a hashes of a string's UTF-16 units from different offset bases, in one pass (the
// scan asks once per snapshot): `hashA` and `hashB` hold the result of the last call.
let hashA = 0;
let hashB = 0;
function hash(text: string): void {
  let a = 2_166_136_261;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 16_777_619);
    b = Math.imul(b ^ c, 16_777_619);
  }
  hashA = a >>> 0;
  hashB = b >>> 0;
}

/**
 * The ids of a project's volumes as 64-bit hashes in an open-addressing table: about 12 bytes a
 * volume instead of a string and a Set entry (~90), which matters beside a million snapshots.
 * Two ids sharing both hashes (odds about n²/2⁶⁵) can only hide an orphan, never invent one.
 */
export class VolumeSet implements VolumeIndex {
  private slots = new Int32Array(16).fill(-1);
  private keys = new Uint32Array(16);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds an id (once); its position, 0 to size - 1 in the order first added, for columns kept beside the set. */
  add(id: string): number {
    hash(id);
    const a = hashA;
    const b = hashB;
    const known = this.find(a, b);
    if (known >= 0) return known;
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    return this.insert(a, b);
  }

  has(id: string): boolean {
    hash(id);
    return this.find(hashA, hashB) >= 0;
  }

  /** The id's position (see add), or -1. */
  positionOf(id: string): number {
    hash(id);
    return this.find(hashA, hashB);
  }

  private find(a: number, b: number): number {
    const mask = this.slots.length - 1;
    for (let slot = a & mask; ; slot = (slot + 1) & mask) {
      const position = this.slots[slot] as number;
      if (position < 0) return -1;
      if (this.keys[position * 2] === a && this.keys[position * 2 + 1] === b) return position;
    }
  }

  private insert(a: number, b: number): number {
    const position = this.count++;
    if (position * 2 + 1 >= this.keys.length) {
      const keys = new Uint32Array(this.keys.length * 2);
      keys.set(this.keys);
      this.keys = keys;
    }
    this.keys[position * 2] = a;
    this.keys[position * 2 + 1] = b;
    const mask = this.slots.length - 1;
    let slot = a & mask;
    while ((this.slots[slot] as number) >= 0) slot = (slot + 1) & mask;
    this.slots[slot] = position;
    return position;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = this.slots.length - 1;
    for (let position = 0; position < this.count; position++) {
      let slot = (this.keys[position * 2] as number) & mask;
      while ((this.slots[slot] as number) >= 0) slot = (slot + 1) & mask;
      this.slots[slot] = position;
    }
  }
}
