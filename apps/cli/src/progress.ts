/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (never in pipes, CI logs or --json
 * consumers' captures), redrawn at most every 100 ms. No dependency: `\r` and an erase-line escape.
 */
export class Progress {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly enabled: boolean,
    private readonly label: string,
    private readonly width = 30,
  ) {}

  update(done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    this.write(`\r\x1b[2K${renderBar(this.label, done, total, this.width)}`);
    this.drawn = true;
  }

  /** Erases the bar (the command's own output follows). */
  stop(): void {
    if (this.enabled && this.drawn) this.write('\r\x1b[2K');
    this.drawn = false;
  }
}

/** `label [#########.........]  30% 3/10`; an unknown total (0) shows only the count. */
export function renderBar(label: string, done: number, total: number, width = 30): string {
  if (total <= 0) return `${label} ${done}`;
  const ratio = Math.max(0, Math.min(1, done / total));
  const full = Math.round(ratio * width);
  return `${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${done}/${total}`;
}
