import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { HeaderObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { DomainErrorCode } from '@app/domain';
import { STATUS_OF } from './error-status';

/** One offending field of a validation error (docs/api.md §2.8). */
export class FieldProblemDto {
  @ApiProperty({ example: 'object', description: 'the field; nested fields as `extra.x`, parameters by name' })
  field!: string;

  @ApiProperty({ type: [String] })
  problems!: string[];
}

/** The one error body every non-2xx answer carries (docs/api.md §2.8; `/health/ready` excepted). */
export class ErrorBodyDto {
  @ApiProperty({ type: 'integer', example: 400, description: 'the HTTP status, repeated' })
  statusCode!: number;

  @ApiProperty({ enum: Object.keys(STATUS_OF), description: 'stable machine-readable code (docs/api.md §5)' })
  error!: DomainErrorCode;

  @ApiProperty({ description: 'for humans; may change' })
  message!: string;

  @ApiPropertyOptional({ type: [FieldProblemDto], description: 'validation errors only' })
  fields?: FieldProblemDto[];
}

/** What each code means on the wire, for the OpenAPI descriptions. */
const MEANING: Readonly<Record<DomainErrorCode, string>> = {
  VALIDATION_FAILED: 'an invalid parameter, query or body field; `fields` lists each problem',
  INVALID_CURSOR: 'a cursor not issued for this feed and user',
  UNAUTHORIZED: 'missing, malformed, badly signed or expired bearer token',
  FORBIDDEN: 'acting for another user without the admin scope',
  NOT_FOUND: 'no such resource',
  METHOD_NOT_ALLOWED: 'the path does not serve this method; `Allow` lists those it does',
  NOT_ACCEPTABLE: 'the requested representation is not served',
  FOLLOW_LIMIT_REACHED: 'the follow would exceed FOLLOW_LIMIT',
  PAYLOAD_TOO_LARGE: 'request body over 64 KiB',
  UNSUPPORTED_MEDIA_TYPE: 'a request body that is not JSON',
  RATE_LIMITED: 'over RATE_LIMIT_PER_MINUTE; retry after `Retry-After` seconds',
  TOO_MANY_STREAMS: 'over STREAMS_PER_USER open streams; retry after `Retry-After` seconds',
  STORE_UNAVAILABLE: 'Cassandra or Kafka unavailable or timing out; retry later',
  INTERNAL: 'a Tideline bug; never caused by input',
};

/** Every `/v1` operation: a verified caller is required, every caller is rate limited, the stores may be away. */
export const V1_ERRORS: readonly DomainErrorCode[] = ['UNAUTHORIZED', 'RATE_LIMITED', 'STORE_UNAVAILABLE'];
/** Every operation taking a JSON body (docs/api.md §2.8 "Request bodies"). */
export const BODY_ERRORS: readonly DomainErrorCode[] = ['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

/** One error answer: the shared error body with `error` narrowed to `codes` (all of `status`), `Retry-After` on 429. */
export function errorResponse(status: number, codes: readonly DomainErrorCode[]): { description: string; schema: SchemaObject; headers?: Record<string, HeaderObject> } {
  return {
    description: codes.map((c) => `\`${c}\`: ${MEANING[c]}`).join('; '),
    schema: {
      allOf: [
        { $ref: getSchemaPath(ErrorBodyDto) },
        { type: 'object', properties: { statusCode: { type: 'integer', enum: [status] }, error: { type: 'string', enum: [...codes] } } },
      ],
    },
    ...(status === 429 ? { headers: { 'Retry-After': { description: 'whole seconds until a retry can succeed (at least 1)', schema: { type: 'integer', minimum: 1 } } } } : {}),
  };
}

/**
 * Documents the error answers of an operation from the codes it can give, with the status taken from the one
 * code-to-status mapping (STATUS_OF): one response per status, the shared error body with `error` narrowed to
 * that status's codes, and `Retry-After` on 429.
 */
export function ApiErrors(...codes: readonly (DomainErrorCode | readonly DomainErrorCode[])[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, DomainErrorCode[]>();
  for (const code of new Set(codes.flat())) {
    const status = STATUS_OF[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const decorators = [...byStatus.entries()].sort(([a], [b]) => a - b).map(([status, list]) => ApiResponse({ status, ...errorResponse(status, list) }));
  return applyDecorators(ApiExtraModels(ErrorBodyDto, FieldProblemDto), ...decorators);
}
