/** A progress bar on stderr, for uploads and downloads (only on a terminal). */
export class Progress {
  private done = 0;
  private readonly total: number;
  private readonly tty = process.stderr.isTTY === true;
  constructor(total: number) {
    this.total = total;
  }
  add(n: number): void {
    this.done += n;
    if (!this.tty) return;
    const frac = this.total === 0 ? 1 : this.done / this.total;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '-');
    const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
    process.stderr.write(`\r[${bar}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${mib(this.done)}/${mib(this.total)} MiB`);
  }
  end(): void {
    if (this.tty) process.stderr.write('\n');
  }
}
