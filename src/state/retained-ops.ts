import type { OpsLane } from '../protocol/methods.js';
import type { NewOpsEntry, OpsEntry } from './ops-log.js';
import { ByteArena } from './byte-arena.js';

/** Entry layout in the arena: fixed header, then sessionKey, kind, idempotencyKey, payload (UTF-8). */
const H_TS = 0; // f64
const H_PAYLOAD = 8; // u32
const H_SESSION = 12; // u16
const H_KIND = 14; // u16
const H_KEY = 16; // u16
const H_LANE = 18; // u8
const HEADER = 20;

const LANE_CODES: readonly OpsLane[] = ['subagent', 'cron', 'heartbeat', 'system'];

/** FNV-1a over the key's UTF-16 code units: a slot hint; equality is checked on the stored bytes. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Entries the index is sized for up front; a larger retention grows it while the log first fills. */
const PREALLOCATED_ENTRIES = 1 << 17;

/** How many entries, bytes and milliseconds are kept (whichever limit is reached first); 0 bytes or ms = no such limit. */
export interface Retention {
  entries: number;
  bytes: number;
  ms: number;
}

/**
 * The retained window of the ops log, in memory, synchronous: numbering,
 * retention by count, bytes and age, and idempotency keys. The memory log
 * is this plus an epoch; the disk log keeps its retained window here too,
 * so replays and key lookups never read the disk on the runtime's thread.
 *
 * Entries are kept off the JS heap
 * (ByteArena) with typed-array indexes, so retaining 100,000 deliveries
 * adds no work to the main thread's garbage collections. Idempotency keys
 * are those of exactly the retained entries: an open-addressing table of
 * seqs (linear probing, at most half full) from which an entry's key is
 * removed the moment the entry leaves retention.
 *
 * Why removal instead of rebuilding: the table used to treat evicted slots
 * as free and rebuild itself when they piled up, which at full retention
 * cost one 10-11 ms pause on the main thread every ~115,000 deliveries,
 * and a chat arriving then waited for it. Every append now does bounded
 * work: one insert, one removal.
 */
export class RetainedOps {
  readonly #retention: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #arena = new ByteArena();
  /** By seq % capacity: arena address and byte length of the entry. */
  #addr: Float64Array;
  #len: Uint32Array;
  /** By seq % capacity: the hash of the entry's idempotency key (to find its slot on eviction). */
  #keyHash: Uint32Array;
  /** Key table: seq per slot (0 = empty), and the key's hash. */
  #slots: Float64Array;
  #hashes: Uint32Array;
  #head = 0;
  #first = 1;
  /** Arena bytes of the retained entries (what the bytes limit counts). */
  #bytes = 0;

  constructor(retention: Retention | number) {
    const r = typeof retention === 'number' ? { entries: retention, bytes: 0, ms: 0 } : retention;
    this.#retention = r.entries;
    this.#maxBytes = r.bytes;
    this.#maxAgeMs = r.ms;
    // Sized for the default retention at once: growing the index means
    // rebuilding the key table, a pause of several ms at 65,536 entries.
    const initial = Math.min(r.entries, PREALLOCATED_ENTRIES);
    this.#addr = new Float64Array(initial);
    this.#len = new Uint32Array(initial);
    this.#keyHash = new Uint32Array(initial);
    this.#slots = new Float64Array(tableSize(initial));
    this.#hashes = new Uint32Array(this.#slots.length);
  }

  get headSeq(): number {
    return this.#head;
  }

  get firstSeq(): number {
    return this.#first;
  }

  /** Arena bytes in use (for status). */
  get bytes(): number {
    return this.#arena.bytes;
  }

  /** Retained entries' bytes (what LANEGATE_OPS_RETENTION_BYTES counts). */
  get retainedBytes(): number {
    return this.#bytes;
  }

  /** An empty window's numbering continues after `seq` (the disk log, after recovery). */
  startAfter(seq: number): void {
    if (this.#head !== 0 || seq < 0) throw new Error('startAfter needs an empty window');
    this.#head = seq;
    this.#first = seq + 1;
  }

  /** The retained seq of an idempotencyKey, or 0. */
  find(key: string): number {
    return this.#find(key, hashKey(key));
  }

  append(e: NewOpsEntry): { seq: number; duplicate: boolean } {
    const hash = hashKey(e.idempotencyKey);
    const prior = this.#find(e.idempotencyKey, hash);
    if (prior > 0) return { seq: prior, duplicate: true };
    const seq = ++this.#head;
    // Count retention first, before the store: the new entry may take the evicted one's index slot.
    if (seq - this.#first >= this.#retention) this.#evictFirst();
    if (seq - this.#first + 1 > this.#addr.length) this.#grow();
    this.#bytes += this.#store(seq, e);
    this.#keyHash[seq % this.#keyHash.length] = hash;
    this.#index(seq, hash);
    // The newest entry always stays, whatever its size or age.
    while (this.#first < seq && ((this.#maxBytes > 0 && this.#bytes > this.#maxBytes) || this.#tooOld(this.#first, e.ts))) this.#evictFirst();
    this.#arena.freeBefore(this.#addr[this.#first % this.#addr.length]!);
    return { seq, duplicate: false };
  }

  /** Drops entries older than the age limit at `now` (a quiet log ages too); returns how many left. */
  trimAged(now: number): number {
    let n = 0;
    while (this.#first < this.#head && this.#tooOld(this.#first, now)) {
      this.#evictFirst();
      n++;
    }
    if (n > 0) this.#arena.freeBefore(this.#addr[this.#first % this.#addr.length]!);
    return n;
  }

  /** Retained entries with after < seq <= through, in order, at most `max`. */
  readAfter(after: number, max: number, through = this.#head): OpsEntry[] {
    const out: OpsEntry[] = [];
    const last = Math.min(through, this.#head);
    for (let s = Math.max(after + 1, this.#first); s <= last && out.length < max; s++) out.push(this.#load(s));
    return out;
  }

  #tooOld(seq: number, now: number): boolean {
    return this.#maxAgeMs > 0 && this.#view(seq).readDoubleLE(H_TS) < now - this.#maxAgeMs;
  }

  #evictFirst(): void {
    const seq = this.#first;
    const slot = seq % this.#addr.length;
    this.#unindex(seq, this.#keyHash[slot]!);
    this.#bytes -= this.#len[slot]!;
    this.#first = seq + 1;
  }

  /** Writes the entry into the arena; returns its byte length. */
  #store(seq: number, e: NewOpsEntry): number {
    const session = Buffer.byteLength(e.sessionKey);
    const kind = Buffer.byteLength(e.kind);
    const key = Buffer.byteLength(e.idempotencyKey);
    const payload = Buffer.byteLength(e.payloadJson);
    const length = HEADER + session + kind + key + payload;
    const { address, view } = this.#arena.alloc(length);
    view.writeDoubleLE(e.ts, H_TS);
    view.writeUInt32LE(payload, H_PAYLOAD);
    view.writeUInt16LE(session, H_SESSION);
    view.writeUInt16LE(kind, H_KIND);
    view.writeUInt16LE(key, H_KEY);
    view.writeUInt8(LANE_CODES.indexOf(e.lane), H_LANE);
    let at = HEADER;
    at += view.write(e.sessionKey, at);
    at += view.write(e.kind, at);
    at += view.write(e.idempotencyKey, at);
    view.write(e.payloadJson, at);
    const slot = seq % this.#addr.length;
    this.#addr[slot] = address;
    this.#len[slot] = length;
    return length;
  }

  #view(seq: number): Buffer {
    const slot = seq % this.#addr.length;
    return this.#arena.read(this.#addr[slot]!, this.#len[slot]!);
  }

  #load(seq: number): OpsEntry {
    const v = this.#view(seq);
    const session = v.readUInt16LE(H_SESSION);
    const kind = v.readUInt16LE(H_KIND);
    const key = v.readUInt16LE(H_KEY);
    let at = HEADER;
    const text = (n: number): string => v.toString('utf8', at, (at += n));
    return {
      seq,
      ts: v.readDoubleLE(H_TS),
      lane: LANE_CODES[v.readUInt8(H_LANE)]!,
      sessionKey: text(session),
      kind: text(kind),
      idempotencyKey: text(key),
      payloadJson: text(v.readUInt32LE(H_PAYLOAD)),
    };
  }

  #keyOf(seq: number): Buffer {
    const v = this.#view(seq);
    const at = HEADER + v.readUInt16LE(H_SESSION) + v.readUInt16LE(H_KIND);
    return v.subarray(at, at + v.readUInt16LE(H_KEY));
  }

  /** The retained seq holding `key`, or 0. */
  #find(key: string, hash: number): number {
    const mask = this.#slots.length - 1;
    let probe: Buffer | null = null;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const seq = this.#slots[i]!;
      if (seq === 0) return 0;
      if (this.#hashes[i] === hash) {
        probe ??= Buffer.from(key);
        if (this.#keyOf(seq).equals(probe)) return seq;
      }
    }
  }

  #index(seq: number, hash: number): void {
    const mask = this.#slots.length - 1;
    let i = hash & mask;
    while (this.#slots[i] !== 0) i = (i + 1) & mask;
    this.#slots[i] = seq;
    this.#hashes[i] = hash;
  }

  /**
   * Removes an evicted entry's key (backward-shift deletion: later members
   * of its probe run move up, so lookups never need tombstones).
   */
  #unindex(seq: number, hash: number): void {
    const mask = this.#slots.length - 1;
    let i = hash & mask;
    while (this.#slots[i] !== seq) {
      if (this.#slots[i] === 0) return; // never indexed (cannot happen; keeps the loop bounded)
      i = (i + 1) & mask;
    }
    for (let j = (i + 1) & mask; this.#slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.#hashes[j]! & mask;
      // The entry at j may fill the hole at i only if its home is not in (i, j], cyclically.
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      this.#slots[i] = this.#slots[j]!;
      this.#hashes[i] = this.#hashes[j]!;
      i = j;
    }
    this.#slots[i] = 0;
    this.#hashes[i] = 0;
  }

  /** Rebuilds the key table at a new size (only while the log first fills). */
  #rehash(size: number): void {
    const oldSlots = this.#slots;
    const oldHashes = this.#hashes;
    // Straight from the old typed arrays into the new ones: a list of live
    // [seq, hash] pairs (100,000 small arrays) landed in the young
    // generation and made the next scavenge copy ~6 MB.
    this.#slots = new Float64Array(size);
    this.#hashes = new Uint32Array(size);
    for (let j = 0; j < oldSlots.length; j++) {
      if (oldSlots[j] !== 0) this.#index(oldSlots[j]!, oldHashes[j]!);
    }
  }

  /** Doubles the entry index (up to the retention) while the window first fills. */
  #grow(): void {
    const size = Math.min(this.#retention, this.#addr.length * 2);
    const addr = new Float64Array(size);
    const len = new Uint32Array(size);
    const keyHash = new Uint32Array(size);
    // Every retained seq but the one being appended (#head), moved to its slot at the new size.
    for (let seq = this.#first; seq < this.#head; seq++) {
      addr[seq % size] = this.#addr[seq % this.#addr.length]!;
      len[seq % size] = this.#len[seq % this.#len.length]!;
      keyHash[seq % size] = this.#keyHash[seq % this.#keyHash.length]!;
    }
    this.#addr = addr;
    this.#len = len;
    this.#keyHash = keyHash;
    this.#rehash(tableSize(size));
  }
}

/** A power of two at least twice the entries it indexes. */
function tableSize(entries: number): number {
  let n = 16;
  while (n < entries * 2) n *= 2;
  return n;
}
