// Which blocks of a snapshot upload are done, kept compact enough for a heartbeat: a watermark
// (every block below it is done: uploaded and acknowledged, or all zeros and skipped) plus the
// few acknowledged indexes above it. Blocks go out roughly in order with bounded parallelism, so
// the set stays about as small as the number of uploads in flight.

export interface BlockProgressState {
  /** Every block index below this is done. */
  watermark: number;
  /** Acknowledged uploads at or above the watermark, ascending. */
  above: number[];
  /** Non-zero blocks below the watermark: they count toward CompleteSnapshot's ChangedBlocksCount. */
  dataBelow: number;
}

export class BlockProgress {
  private watermark: number;
  private dataBelow: number;
  /** index -> whether the block held data. */
  private readonly done = new Map<number, boolean>();

  constructor(start?: BlockProgressState) {
    this.watermark = start?.watermark ?? 0;
    this.dataBelow = start?.dataBelow ?? 0;
    // Indexes above the watermark from an earlier attempt were acknowledged uploads: data.
    for (const i of start?.above ?? []) if (i >= this.watermark) this.done.set(i, true);
    this.advance();
  }

  isDone(index: number): boolean {
    return index < this.watermark || this.done.has(index);
  }

  /** Marks a block done; `data` is false for an all-zero block that was skipped. */
  mark(index: number, data: boolean): void {
    if (index < this.watermark) return;
    if (!this.done.has(index) || data) this.done.set(index, data);
    this.advance();
  }

  get state(): BlockProgressState {
    // Only uploads above the watermark are kept: zero blocks there are found again by a cheap re-read.
    const above = [...this.done.entries()].filter(([, data]) => data).map(([i]) => i);
    return { watermark: this.watermark, above: above.sort((a, b) => a - b), dataBelow: this.dataBelow };
  }

  get low(): number {
    return this.watermark;
  }

  private advance(): void {
    for (;;) {
      const d = this.done.get(this.watermark);
      if (d === undefined) return;
      if (d) this.dataBelow += 1;
      this.done.delete(this.watermark);
      this.watermark += 1;
    }
  }
}
