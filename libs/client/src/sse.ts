/**
 * The server-sent-events wire format (WHATWG HTML, "event stream interpretation"), parsed incrementally: text goes
 * in in chunks split anywhere, complete blocks come out. Pure: no I/O, no timers.
 */

/** One block ended by a blank line. Fields absent from the block are undefined; `data` joins its data lines with \n. */
export interface SseBlock {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
}

export class SseParser {
  private buf = '';
  /** The last chunk ended in CR: a LF starting the next chunk belongs to that line ending. */
  private skipLf = false;
  private id?: string;
  private event?: string;
  private data?: string[];
  private retry?: number;

  /** Feeds decoded text; returns the blocks it completed, in order. An unfinished block waits for more text. */
  push(chunk: string): SseBlock[] {
    let text = chunk;
    if (this.skipLf && text.startsWith('\n')) text = text.slice(1);
    if (text.length > 0) this.skipLf = false;
    this.buf += text;
    const out: SseBlock[] = [];
    for (;;) {
      const end = this.buf.search(/[\r\n]/);
      if (end < 0) break;
      const line = this.buf.slice(0, end);
      let next = end + 1;
      if (this.buf[end] === '\r') {
        if (next === this.buf.length) this.skipLf = true;
        else if (this.buf[next] === '\n') next++;
      }
      this.buf = this.buf.slice(next);
      const block = this.line(line);
      if (block) out.push(block);
    }
    return out;
  }

  private line(line: string): SseBlock | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        (this.data ??= []).push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        // The spec ignores an id containing NUL.
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
      // Unknown fields are ignored.
    }
    return undefined;
  }

  private dispatch(): SseBlock | undefined {
    const b: SseBlock = {};
    if (this.id !== undefined) b.id = this.id;
    if (this.event !== undefined) b.event = this.event;
    if (this.data !== undefined) b.data = this.data.join('\n');
    if (this.retry !== undefined) b.retry = this.retry;
    this.id = this.event = this.data = this.retry = undefined;
    return Object.keys(b).length > 0 ? b : undefined;
  }
}
