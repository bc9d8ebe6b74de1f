import { DomainError, ID_PATTERN } from '@app/domain';

/** Path/query parsing with the contract's rules; every failure is a 400 naming the field. */
export function idParam(field: string, value: unknown): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    throw new DomainError('VALIDATION_FAILED', `${field} must be 1-128 characters of A-Z a-z 0-9 _ . : @ -`, [
      { field, problems: ['must be 1-128 characters of A-Z a-z 0-9 _ . : @ -'] },
    ]);
  }
  return value;
}

export function limitParam(value: unknown): number {
  if (value === undefined || value === '') return 25;
  const n = typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new DomainError('VALIDATION_FAILED', 'limit must be an integer from 1 to 100', [{ field: 'limit', problems: ['must be an integer from 1 to 100'] }]);
  }
  return n;
}

export function cursorParam(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new DomainError('INVALID_CURSOR', 'cursor must be a single string');
  return value;
}
