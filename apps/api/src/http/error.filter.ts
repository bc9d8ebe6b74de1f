import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { DomainError, DomainErrorCode, FieldProblem } from '@app/domain';
import { isTransientError } from '@app/feeds';
import { STATUS_OF } from './error-status';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  fields?: readonly FieldProblem[];
}

/** Fastify's own errors (raised before a route handler runs) mapped onto domain codes. */
const FASTIFY_CODES: Record<string, DomainErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_BAD_URL: 'VALIDATION_FAILED',
  FST_ERR_MAX_PARAM_LENGTH: 'VALIDATION_FAILED',
};

/** Statuses the framework raises itself, as domain codes (typed: no code outside DomainErrorCode); other 4xx are bad input. */
const FRAMEWORK_STATUS: Partial<Record<number, DomainErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};
const codeOfStatus = (status: number): DomainErrorCode | undefined => FRAMEWORK_STATUS[status];

/** Turns any thrown value into the contract's error body. Never leaks a stack trace. */
export function toErrorBody(e: unknown): ErrorBody {
  if (e instanceof DomainError) {
    return { statusCode: STATUS_OF[e.code], error: e.code, message: e.message, ...(e.fields ? { fields: e.fields } : {}) };
  }
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && FASTIFY_CODES[code]) {
    const domain = FASTIFY_CODES[code];
    const message = domain === 'PAYLOAD_TOO_LARGE' ? 'request body is larger than 64 KiB' : (e as Error).message;
    return { statusCode: STATUS_OF[domain], error: domain, message };
  }
  if (e instanceof SyntaxError) return { statusCode: 400, error: 'VALIDATION_FAILED', message: 'body is not valid JSON' };
  if (e instanceof HttpException) {
    const status = e.getStatus();
    if (status < 500) return { statusCode: status, error: codeOfStatus(status) ?? 'VALIDATION_FAILED', message: e.message };
  }
  if (isTransientError(e)) {
    return { statusCode: 503, error: 'STORE_UNAVAILABLE', message: 'a backing store is unavailable; retry later' };
  }
  const statusCode = (e as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { statusCode, error: codeOfStatus(statusCode) ?? 'VALIDATION_FAILED', message: (e as Error).message };
  }
  return { statusCode: STATUS_OF.INTERNAL, error: 'INTERNAL', message: 'internal error' };
}

/** Sends the contract's error body for `e` (with `Retry-After` on a 429); used by the filter and the Fastify hooks. */
export function sendError(reply: FastifyReply, e: unknown, body: ErrorBody = toErrorBody(e)): void {
  if (body.statusCode === 429) void reply.header('Retry-After', String((e as { retryAfterSeconds?: number }).retryAfterSeconds ?? 1));
  void reply.code(body.statusCode).send(body);
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('HttpError');

  catch(e: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = toErrorBody(e);
    if (body.statusCode >= 500) this.log.error({ err: e }, body.message);
    if (reply.sent || reply.raw.headersSent) return;
    // Readiness (terminus) answers 503 with the per-dependency detail operators need: keep its body.
    if (e instanceof HttpException && e.getStatus() === 503) {
      void reply.status(503).send(e.getResponse());
      return;
    }
    sendError(reply, e, body);
  }
}
