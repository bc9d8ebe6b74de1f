/**
 * Domain error codes. Every layer throws DomainError; each transport maps the code exactly once
 * (HTTP: apps/api/src/http/error-status.ts, Kafka: retry vs dead-letter in libs/messaging-kafka).
 */
export type DomainErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_CURSOR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'FOLLOW_LIMIT_REACHED'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_ACCEPTABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'TOO_MANY_STREAMS'
  | 'STORE_UNAVAILABLE'
  | 'INTERNAL';

export interface FieldProblem {
  readonly field: string;
  readonly problems: readonly string[];
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly fields?: readonly FieldProblem[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

