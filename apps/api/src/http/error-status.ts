import { DomainErrorCode } from '@app/domain';

/** The one mapping from domain error codes to HTTP statuses (docs/api.md §2 "Errors"). */
export const STATUS_OF: Readonly<Record<DomainErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  INVALID_CURSOR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  FOLLOW_LIMIT_REACHED: 409,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  TOO_MANY_STREAMS: 429,
  STORE_UNAVAILABLE: 503,
  INTERNAL: 500,
};
