import { Body, Controller, Get, HttpCode, Inject, Logger, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiNoContentResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Activity } from '@app/domain';
import { assertActsFor, Caller, FeedReaderService, NotificationPage, NotificationReaderService, Page } from '@app/feeds';
import { ApiErrors, BODY_ERRORS, V1_ERRORS } from '../http/api-errors';
import { AcceptsQueryToken, CurrentCaller } from '../http/auth';
import { DEFAULT_PAGE_LIMIT, MarkGroupsBody, PageQuery, UserParams } from '@app/wire';
import { ActivityPageDto, NotificationPageDto } from '../http/responses.dto';
import { LiveHub } from '../live/live-hub';

/** Idle SSE connections get a comment line this often so proxies keep them open. */
const HEARTBEAT_MS = 15_000;

/** EventSource cannot send headers: the token may come as one `access_token` (the header wins when both are sent). */
const ACCESS_TOKEN_QUERY = {
  name: 'access_token',
  required: false,
  // No length or format rules here: the parameter is ignored whenever the header is sent, so no value is refused as such.
  schema: { type: 'string' as const },
  description: 'the bearer token, for clients that cannot send Authorization (EventSource). Ignored when the Authorization header is sent; otherwise anything but one valid token (at most 4096 characters) is 401',
};

/** A stream's 200: `text/event-stream` only (its errors are JSON, documented apart). */
const sseResponse = (description: string): { description: string; content: Record<string, { schema: { type: 'string' } }> } => ({
  description,
  content: { 'text/event-stream': { schema: { type: 'string' } } },
});
/** Bytes a stream may have written but not yet sent before its client counts as too slow. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

@ApiTags('feeds')
@ApiBearerAuth()
@Controller('v1/feeds')
export class FeedsController {
  private readonly log = new Logger(FeedsController.name);

  constructor(
    private readonly feeds: FeedReaderService,
    private readonly notifications: NotificationReaderService,
    private readonly hub: LiveHub,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  @Get('user/:userId')
  @ApiOkResponse({ type: ActivityPageDto })
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'INVALID_CURSOR')
  user(@Param() p: UserParams, @Query() q: PageQuery): Promise<Page<Activity>> {
    return this.feeds.userFeed(p.userId, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }

  @Get('home/:userId')
  @ApiOkResponse({ type: ActivityPageDto })
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'INVALID_CURSOR', 'FORBIDDEN')
  home(@CurrentCaller() c: Caller, @Param() p: UserParams, @Query() q: PageQuery): Promise<Page<Activity>> {
    assertActsFor(c, p.userId);
    return this.feeds.homeFeed(p.userId, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }

  @Get('notifications/:userId')
  @ApiOkResponse({ type: NotificationPageDto })
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'INVALID_CURSOR', 'FORBIDDEN')
  notificationsPage(@CurrentCaller() c: Caller, @Param() p: UserParams, @Query() q: PageQuery): Promise<NotificationPage> {
    assertActsFor(c, p.userId);
    return this.notifications.list(p.userId, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }

  @Post('notifications/:userId/seen')
  @HttpCode(204)
  @ApiBody({ type: MarkGroupsBody, required: false })
  @ApiNoContentResponse()
  @ApiErrors(V1_ERRORS, BODY_ERRORS, 'FORBIDDEN')
  async seen(@CurrentCaller() c: Caller, @Param() p: UserParams, @Body() body?: MarkGroupsBody): Promise<void> {
    assertActsFor(c, p.userId);
    await this.notifications.mark(p.userId, 'seen', body?.groups);
  }

  @Post('notifications/:userId/read')
  @HttpCode(204)
  @ApiBody({ type: MarkGroupsBody, required: false })
  @ApiNoContentResponse()
  @ApiErrors(V1_ERRORS, BODY_ERRORS, 'FORBIDDEN')
  async read(@CurrentCaller() c: Caller, @Param() p: UserParams, @Body() body?: MarkGroupsBody): Promise<void> {
    assertActsFor(c, p.userId);
    await this.notifications.mark(p.userId, 'read', body?.groups);
  }

  @Get('home/:userId/stream')
  @AcceptsQueryToken()
  @ApiQuery(ACCESS_TOKEN_QUERY)
  @ApiOkResponse(sseResponse('events `activity` (data: the activity), `delete` (data: {"id"}) and `reset` (data: {}); docs/api.md §2.5'))
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'FORBIDDEN', 'TOO_MANY_STREAMS')
  homeStream(@CurrentCaller() c: Caller, @Param() p: UserParams, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.stream(c, p.userId, 'home', req, reply);
  }

  @Get('notifications/:userId/stream')
  @AcceptsQueryToken()
  @ApiQuery(ACCESS_TOKEN_QUERY)
  @ApiOkResponse(sseResponse('events `group` (data: the whole notification group) and `reset` (data: {}); docs/api.md §2.5'))
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'FORBIDDEN', 'TOO_MANY_STREAMS')
  notificationStream(@CurrentCaller() c: Caller, @Param() p: UserParams, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.stream(c, p.userId, 'notifications', req, reply);
  }

  /**
   * One SSE stream. Invariants: the close listener is attached before anything else (a client that
   * disconnects at any stage of the setup leaves no hub entry and no timer); the connection is in the
   * hub before the first byte is sent (no live event published after `: connected` is missed); what
   * this process buffers for a client is bounded (a client that does not read is cut off).
   */
  private async stream(c: Caller, user: string, kind: 'home' | 'notifications', req: FastifyRequest, reply: FastifyReply): Promise<void> {
    assertActsFor(c, user);
    const raw = reply.raw;
    let closed = false;
    // Whatever stage the setup reached is recorded here, and close() undoes exactly that.
    const setup: { heartbeat?: NodeJS.Timeout; lifetime?: NodeJS.Timeout; remove?: () => void } = {};
    const close = (): void => {
      if (closed) return;
      closed = true;
      if (setup.heartbeat) clearInterval(setup.heartbeat);
      if (setup.lifetime) clearTimeout(setup.lifetime);
      setup.remove?.();
    };
    raw.on('close', close);
    raw.on('error', close);
    req.raw.on('error', close);
    /** Ends a stream whose client cannot keep up: destroying drops what is buffered for it. */
    const cut = (why: string): void => {
      if (closed) return;
      this.log.warn({ user, kind, buffered: raw.writableLength, why }, 'slow stream closed');
      close();
      raw.destroy();
    };
    const write = (chunk: string): void => {
      if (closed) return;
      raw.write(chunk);
      if (raw.writableLength > MAX_BUFFERED_BYTES) cut(`more than ${MAX_BUFFERED_BYTES} bytes unsent`);
    };
    // Gone already (aborted while auth ran): nothing to register.
    if (raw.destroyed || req.raw.socket?.destroyed !== false) {
      close();
      reply.hijack();
      raw.destroy();
      return;
    }
    // Throws TOO_MANY_STREAMS before anything is sent, so the error filter answers 429 + Retry-After.
    const live = this.hub.add(
      {
        user,
        kind,
        send: (event, id, data) => write(`id: ${sseId(id)}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
        close: cut,
      },
      lastEventId(req),
    );
    setup.remove = live.remove;
    reply.hijack();
    raw.writeHead(200, SSE_HEADERS);
    write('retry: 3000\n\n');
    // An id-only block moves the client's Last-Event-ID without an event, so even a quiet stream resumes exactly.
    setup.heartbeat = setInterval(() => write(`: heartbeat\nid: ${sseId(live.position())}\n\n`), HEARTBEAT_MS);
    // Ends cleanly after STREAM_MAX_SECONDS less a random tenth (so streams opened together do not all
    // reconnect together): the client reconnects with Last-Event-ID, possibly to another instance.
    setup.lifetime = setTimeout(() => {
      close();
      raw.end();
    }, this.cfg.streamMaxMs * (1 - Math.random() * 0.1));
    if (kind === 'home') await this.startReading(user);
    write(`: connected\nid: ${sseId(live.position())}\n\n`);
  }

  /**
   * Opening a home stream counts as reading (docs/api.md). The connection is already in the hub, so
   * nothing published meanwhile is lost; a failure here does not stop the stream.
   */
  private async startReading(user: string): Promise<void> {
    try {
      await this.feeds.startReading(user);
    } catch (e) {
      this.log.warn({ user, err: (e as Error).message }, 'stream opened without marking the reader active');
    }
  }
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

/** An SSE id is one line: ids are made by the hub, this only keeps a stray line break out. */
const sseId = (id: string): string => id.replace(/[\r\n\0]/g, '');

/** Longer than any position the hub issues: such a header is not parsed at all (the stream is told to reset). */
const MAX_LAST_EVENT_ID = 1024;

/** The `Last-Event-ID` a reconnecting EventSource sends (one header; anything else counts as unresumable). */
function lastEventId(req: FastifyRequest): string | undefined {
  const h = req.headers['last-event-id'];
  if (h === undefined) return undefined;
  return typeof h === 'string' && h.length <= MAX_LAST_EVENT_ID ? h : '';
}
