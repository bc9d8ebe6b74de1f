import { Body, Controller, Get, HttpCode, Logger, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiNoContentResponse, ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Activity, DomainError } from '@app/domain';
import { assertActsFor, Caller, FeedReaderService, NotificationPage, NotificationReaderService, Page } from '@app/feeds';
import { AcceptsQueryToken, CurrentCaller } from '../http/auth';
import { cursorParam, idParam, limitParam } from '../http/params';
import { ActivityPageDto, MarkGroupsDto, NotificationPageDto } from '../http/responses.dto';
import { LiveHub } from '../live/live-hub';

/** Idle SSE connections get a comment line this often so proxies keep them open. */
const HEARTBEAT_MS = 15_000;
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
  ) {}

  @Get('user/:userId')
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiOkResponse({ type: ActivityPageDto })
  user(@Param('userId') u: string, @Query('limit') limit?: unknown, @Query('cursor') cursor?: unknown): Promise<Page<Activity>> {
    return this.feeds.userFeed(idParam('userId', u), limitParam(limit), cursorParam(cursor));
  }

  @Get('home/:userId')
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiOkResponse({ type: ActivityPageDto })
  home(@CurrentCaller() c: Caller, @Param('userId') u: string, @Query('limit') limit?: unknown, @Query('cursor') cursor?: unknown): Promise<Page<Activity>> {
    const user = idParam('userId', u);
    assertActsFor(c, user);
    return this.feeds.homeFeed(user, limitParam(limit), cursorParam(cursor));
  }

  @Get('notifications/:userId')
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiOkResponse({ type: NotificationPageDto })
  notificationsPage(@CurrentCaller() c: Caller, @Param('userId') u: string, @Query('limit') limit?: unknown, @Query('cursor') cursor?: unknown): Promise<NotificationPage> {
    const user = idParam('userId', u);
    assertActsFor(c, user);
    return this.notifications.list(user, limitParam(limit), cursorParam(cursor));
  }

  @Post('notifications/:userId/seen')
  @HttpCode(204)
  @ApiBody({ type: MarkGroupsDto, required: false })
  @ApiNoContentResponse()
  seen(@CurrentCaller() c: Caller, @Param('userId') u: string, @Body() body: unknown): Promise<void> {
    return this.mark(c, u, 'seen', body);
  }

  @Post('notifications/:userId/read')
  @HttpCode(204)
  @ApiBody({ type: MarkGroupsDto, required: false })
  @ApiNoContentResponse()
  read(@CurrentCaller() c: Caller, @Param('userId') u: string, @Body() body: unknown): Promise<void> {
    return this.mark(c, u, 'read', body);
  }

  @Get('home/:userId/stream')
  @AcceptsQueryToken()
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'access_token', required: false, type: String })
  @ApiOkResponse({ description: 'events `activity` (data: activity) and `delete` (data: {"id"})' })
  homeStream(@CurrentCaller() c: Caller, @Param('userId') u: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.stream(c, u, 'home', req, reply);
  }

  @Get('notifications/:userId/stream')
  @AcceptsQueryToken()
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'access_token', required: false, type: String })
  @ApiOkResponse({ description: 'events `group` (data: notification group)' })
  notificationStream(@CurrentCaller() c: Caller, @Param('userId') u: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.stream(c, u, 'notifications', req, reply);
  }

  private async mark(c: Caller, u: string, kind: 'seen' | 'read', body: unknown): Promise<void> {
    const user = idParam('userId', u);
    assertActsFor(c, user);
    let groups: string[] | undefined;
    if (body !== undefined && body !== null && !(typeof body === 'object' && Object.keys(body).length === 0)) {
      const g = typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)['groups'] : undefined;
      const extra = typeof body === 'object' && body !== null ? Object.keys(body).filter((k) => k !== 'groups') : [];
      if (!Array.isArray(g) || g.length > 1000 || !g.every((x) => typeof x === 'string') || extra.length > 0) {
        throw new DomainError('VALIDATION_FAILED', 'body must be { "groups": [group ids] } (at most 1000) or empty', [{ field: 'groups', problems: ['must be an array of group id strings'] }]);
      }
      groups = g as string[];
    }
    await this.notifications.mark(user, kind, groups);
  }

  /**
   * One SSE stream. Invariants: the close listener is attached before anything else (a client that
   * disconnects at any stage of the setup leaves no hub entry and no timer); the connection is in the
   * hub before the first byte is sent (no live event published after `: connected` is missed); what
   * this process buffers for a client is bounded (a client that does not read is cut off).
   */
  private async stream(c: Caller, u: string, kind: 'home' | 'notifications', req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const user = idParam('userId', u);
    assertActsFor(c, user);
    const raw = reply.raw;
    let closed = false;
    // Whatever stage the setup reached is recorded here, and close() undoes exactly that.
    const setup: { heartbeat?: NodeJS.Timeout; remove?: () => void } = {};
    const close = (): void => {
      if (closed) return;
      closed = true;
      if (setup.heartbeat) clearInterval(setup.heartbeat);
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
    setup.remove = this.hub.add({
      user,
      kind,
      send: (event, id, data) => write(`id: ${sseId(id)}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
      close: cut,
    });
    reply.hijack();
    raw.writeHead(200, SSE_HEADERS);
    write('retry: 3000\n\n');
    setup.heartbeat = setInterval(() => write(': heartbeat\n\n'), HEARTBEAT_MS);
    if (kind === 'home') await this.startReading(user);
    write(': connected\n\n');
  }

  /**
   * Opening a home stream counts as reading (CONTRACT v1.1). The connection is already in the hub, so
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

/** An SSE id is one line: ids are validated upstream, this only keeps a stray line break out. */
const sseId = (id: string): string => id.replace(/[\r\n\0]/g, '');
