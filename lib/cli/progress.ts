/** A one-line progress bar on stderr, redrawn in place on a terminal and printed sparsely elsewhere. */
export class ProgressBar {
  private lastDraw = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number, note = ''): void {
    const now = Date.now();
    const tty = process.stderr.isTTY;
    if (done < this.total && now - this.lastDraw < (tty ? 100 : 5000)) return;
    this.lastDraw = now;
    const width = 30;
    const filled = Math.round((width * done) / this.total);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${note}`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
    if (tty && done >= this.total) process.stderr.write('\n');
  }
}
