import type { LaneSource } from '../queue/priority.js';

/**
 * Ops-lane work created on the main thread itself (replay steps, task
 * results). The priority consumer takes it like an ops record: one item at a
 * time, and only while no conversation record waits.
 */
export class LocalQueue implements LaneSource {
  #items: (() => void)[] = [];
  #head = 0;

  push(step: () => void): void {
    this.#items.push(step);
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  hasWork(): boolean {
    return this.#head < this.#items.length;
  }

  take(max: number): number {
    let n = 0;
    while (n < max && this.#head < this.#items.length) {
      const step = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as unknown as () => void;
      n++;
      step();
    }
    // Compact once drained, so the array does not grow without bound.
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    return n;
  }
}
