/**
 * Where the shared log stands, and whether a subscriber's cursor can be
 * resumed against it.
 *
 * The epoch a client sees is `<id>:<generation>`. The id is made when the
 * log is created (a new one when Redis comes back without the data). The
 * generation is named after Redis's replication id, which is new for each
 * run of a primary: when the script finds it changed (a restart reloaded
 * the data set, a replica was promoted), it records the head seq the data
 * set has then as the new generation's fence. Entries at or below a fence
 * are the same in both histories (a replica or an AOF holds a prefix of what
 * the primary wrote); entries above it may have been acknowledged and lost,
 * and later appends reuse their seqs for other content. So a cursor resumes
 * only if its generation is still in the data set's history and the cursor
 * is at or below every fence recorded after it: a clean restart keeps every
 * cursor, a failover that lost writes refuses exactly the cursors that saw
 * them (their generation, or the part of it that was lost, is gone).
 */
export interface RedisPosition {
  /** What clients see and send back: `<id>:<generation>`. */
  epoch: string;
  id: string;
  generation: string;
  headSeq: number;
  firstSeq: number;
  /** The data set's generations, oldest first, with the head seq each began at. */
  fences: readonly { generation: string; seq: number }[];
}

export function formatEpoch(id: string, generation: string): string {
  return `${id}:${generation}`;
}

export function parseEpoch(epoch: string): { id: string; generation: string } | null {
  const m = /^([A-Za-z0-9_-]+):([A-Za-z0-9]+)$/.exec(epoch);
  return m ? { id: m[1]!, generation: m[2]! } : null;
}

/** Decodes the position script's reply: {id, generation, head, first, ["gen:seq", ...]}. */
export function decodePosition(reply: unknown): RedisPosition {
  const [id, generation, head, first, list] = reply as [string, string, number, number, string[]];
  const fences = list.map((x) => {
    const at = x.lastIndexOf(':');
    return { generation: x.slice(0, at), seq: Number(x.slice(at + 1)) };
  });
  return { epoch: formatEpoch(id, generation), id, generation, headSeq: Number(head), firstSeq: Number(first), fences };
}

/**
 * The lowest fence recorded after `generation` began (Infinity when it is
 * the current one): seqs above it, as seen in that generation, may be gone.
 * null when the generation is not in the data set's history.
 */
export function fenceSince(pos: RedisPosition, generation: string): number | null {
  const at = pos.fences.findIndex((f) => f.generation === generation);
  if (at < 0) return null;
  let fence = Infinity;
  for (let i = at + 1; i < pos.fences.length; i++) fence = Math.min(fence, pos.fences[i]!.seq);
  return fence;
}

/**
 * Whether `afterSeq`, seen under `epoch` (undefined: the client gave
 * none, judged on the seq alone), resumes without a gap or a changed entry.
 */
export function resumable(pos: RedisPosition, epoch: string | undefined, afterSeq: number): boolean {
  if (afterSeq < pos.firstSeq - 1 || afterSeq > pos.headSeq) return false;
  if (epoch === undefined) return true;
  const e = parseEpoch(epoch);
  if (!e || e.id !== pos.id) return false;
  const fence = fenceSince(pos, e.generation);
  return fence !== null && afterSeq <= fence;
}
