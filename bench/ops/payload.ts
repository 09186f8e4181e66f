// A deterministic stand-in for a large sub-agent result: what OpenClaw's
// ops traffic is mostly made of (a run's summary, findings with file
// paths, a transcript excerpt, artifact digests). Words come from a seeded
// Zipf-like vocabulary of made-up words, so deflate meets text with the
// redundancy of prose and code (not a repeated filler, which would
// compress a thousandfold), and digests are random hex (incompressible).

import { Prng } from '../../test/helpers/prng.js';

const SYLLABLES = ['ka', 'lo', 'mi', 'ter', 'an', 'sul', 've', 'ri', 'do', 'ax', 'pen', 'or', 'ui', 'zen', 'ba', 'cro', 'est', 'il', 'nu', 'tha'];

function vocabulary(r: Prng, n: number): string[] {
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    let w = '';
    for (let s = r.int(1, 4); s > 0; s--) w += SYLLABLES[r.int(0, SYLLABLES.length - 1)];
    words.push(w);
  }
  return words;
}

/** Builds the generator's sentences, paths and digests from one seed. */
class Text {
  readonly #r: Prng;
  readonly #words: string[];

  constructor(seed: number) {
    this.#r = new Prng(seed);
    this.#words = vocabulary(this.#r, 3000);
  }

  /** Zipf-like: low ranks are much more frequent. */
  word(): string {
    const u = this.#r.next();
    return this.#words[Math.floor(this.#words.length * u * u * u)]!;
  }

  sentence(minWords: number, maxWords: number): string {
    const n = this.#r.int(minWords, maxWords);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const roll = this.#r.int(0, 19);
      out.push(roll === 0 ? String(this.#r.int(0, 99_999)) : roll === 1 ? `\`${this.word()}.${this.word()}()\`` : this.word());
    }
    const s = out.join(' ');
    return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
  }

  paragraph(sentences: number): string {
    return Array.from({ length: sentences }, () => this.sentence(6, 24)).join(' ');
  }

  path(): string {
    return `src/${this.word()}/${this.word()}-${this.word()}.ts`;
  }

  hex(bytes: number): string {
    let s = '';
    for (let i = 0; i < bytes; i++) s += this.#r.int(0, 255).toString(16).padStart(2, '0');
    return s;
  }

  int(lo: number, hi: number): number {
    return this.#r.int(lo, hi);
  }
}

/**
 * A JSON-ready object whose `JSON.stringify` is `bytes` long or a little
 * longer (the last item added crosses it). The same seed gives the same
 * object.
 */
export function subagentResult(bytes: number, seed = 1): Record<string, unknown> {
  const t = new Text(seed);
  const findings: unknown[] = [];
  const transcript: unknown[] = [];
  const artifacts: unknown[] = [];
  const result = {
    runId: `run-${t.hex(8)}`,
    task: t.sentence(4, 10),
    status: 'ok',
    summary: t.paragraph(6),
    findings,
    transcript,
    artifacts,
    usage: { inputTokens: t.int(1000, 90_000), outputTokens: t.int(100, 9000), ms: t.int(200, 90_000) },
  };
  let size = JSON.stringify(result).length;
  const severities = ['info', 'warning', 'error'];
  const roles = ['assistant', 'tool', 'user'];
  for (let i = 0; size < bytes; i++) {
    let item: unknown;
    if (i % 3 === 0) {
      item = { file: t.path(), line: t.int(1, 2000), severity: severities[t.int(0, 2)], message: t.sentence(8, 30) };
      findings.push(item);
    } else if (i % 3 === 1) {
      item = { role: roles[t.int(0, 2)], content: t.paragraph(t.int(1, 4)) };
      transcript.push(item);
    } else {
      item = { name: t.path(), sha256: t.hex(32), bytes: t.int(100, 500_000) };
      artifacts.push(item);
    }
    size += JSON.stringify(item).length + 1;
  }
  return result;
}
