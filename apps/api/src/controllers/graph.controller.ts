import { Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { assertActsFor, Caller, CommandsService } from '@app/feeds';
import { ApiErrors, V1_ERRORS } from '../http/api-errors';
import { CurrentCaller } from '../http/auth';
import { DEFAULT_PAGE_LIMIT, PageQuery, UserParams, UserTargetParams } from '@app/wire';
import { GraphPageDto } from '../http/responses.dto';


@ApiTags('graph')
@ApiBearerAuth()
@Controller('v1/users/:userId')
export class GraphController {
  constructor(private readonly commands: CommandsService) {}

  @Put('following/:targetId')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'FORBIDDEN', 'FOLLOW_LIMIT_REACHED')
  follow(@CurrentCaller() c: Caller, @Param() p: UserTargetParams): Promise<void> {
    return this.commands.changeGraph(c, 'follow', p.userId, p.targetId);
  }

  @Delete('following/:targetId')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'FORBIDDEN')
  unfollow(@CurrentCaller() c: Caller, @Param() p: UserTargetParams): Promise<void> {
    return this.commands.changeGraph(c, 'unfollow', p.userId, p.targetId);
  }

  @Put('muted/:targetId')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'FORBIDDEN')
  mute(@CurrentCaller() c: Caller, @Param() p: UserTargetParams): Promise<void> {
    return this.commands.changeGraph(c, 'mute', p.userId, p.targetId);
  }

  @Delete('muted/:targetId')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'FORBIDDEN')
  unmute(@CurrentCaller() c: Caller, @Param() p: UserTargetParams): Promise<void> {
    return this.commands.changeGraph(c, 'unmute', p.userId, p.targetId);
  }

  @Get('following')
  @ApiOkResponse({ type: GraphPageDto })
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'INVALID_CURSOR')
  following(@Param() p: UserParams, @Query() q: PageQuery): Promise<GraphPageDto> {
    return this.commands.list('following', p.userId, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }

  /** Mutes are private: only the user (or an admin) may list them (docs/api.md §2). */
  @Get('muted')
  @ApiOkResponse({ type: GraphPageDto })
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'INVALID_CURSOR', 'FORBIDDEN')
  muted(@CurrentCaller() c: Caller, @Param() p: UserParams, @Query() q: PageQuery): Promise<GraphPageDto> {
    assertActsFor(c, p.userId);
    return this.commands.list('muted', p.userId, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }

  @Get('followers')
  @ApiOkResponse({ type: GraphPageDto })
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'INVALID_CURSOR')
  followers(@Param() p: UserParams, @Query() q: PageQuery): Promise<GraphPageDto> {
    return this.commands.list('followers', p.userId, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }
}
