import { InvalidArgumentError } from 'commander';

/** Option parsers shared by the commands (commander reports their errors as usage errors, exit 2). */
export function parseIso(text: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) throw new InvalidArgumentError(`"${text}" is not an ISO 8601 date-time (e.g. 2026-12-02T10:00:00Z)`);
  return ms;
}

export function parsePositiveInt(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError(`"${text}" is not a positive integer`);
  return Number(text);
}
