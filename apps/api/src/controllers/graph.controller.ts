import { Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { GraphOp } from '@app/domain';
import { Caller, CommandsService } from '@app/feeds';
import { CurrentCaller } from '../http/auth';
import { cursorParam, idParam, limitParam } from '../http/params';
import { GraphPageDto } from '../http/responses.dto';

@ApiTags('graph')
@ApiBearerAuth()
@Controller('v1/users/:userId')
export class GraphController {
  constructor(private readonly commands: CommandsService) {}

  @Put('following/:targetId')
  @HttpCode(204)
  @ApiNoContentResponse()
  follow(@CurrentCaller() c: Caller, @Param('userId') u: string, @Param('targetId') t: string): Promise<void> {
    return this.change(c, 'follow', u, t);
  }

  @Delete('following/:targetId')
  @HttpCode(204)
  @ApiNoContentResponse()
  unfollow(@CurrentCaller() c: Caller, @Param('userId') u: string, @Param('targetId') t: string): Promise<void> {
    return this.change(c, 'unfollow', u, t);
  }

  @Put('muted/:targetId')
  @HttpCode(204)
  @ApiNoContentResponse()
  mute(@CurrentCaller() c: Caller, @Param('userId') u: string, @Param('targetId') t: string): Promise<void> {
    return this.change(c, 'mute', u, t);
  }

  @Delete('muted/:targetId')
  @HttpCode(204)
  @ApiNoContentResponse()
  unmute(@CurrentCaller() c: Caller, @Param('userId') u: string, @Param('targetId') t: string): Promise<void> {
    return this.change(c, 'unmute', u, t);
  }

  @Get('following')
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiOkResponse({ type: GraphPageDto })
  following(@Param('userId') u: string, @Query('limit') limit?: unknown, @Query('cursor') cursor?: unknown): Promise<GraphPageDto> {
    return this.commands.list('following', idParam('userId', u), limitParam(limit), cursorParam(cursor));
  }

  @Get('followers')
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiOkResponse({ type: GraphPageDto })
  followers(@Param('userId') u: string, @Query('limit') limit?: unknown, @Query('cursor') cursor?: unknown): Promise<GraphPageDto> {
    return this.commands.list('followers', idParam('userId', u), limitParam(limit), cursorParam(cursor));
  }

  private async change(c: Caller, op: GraphOp, u: string, t: string): Promise<void> {
    await this.commands.changeGraph(c, op, idParam('userId', u), idParam('targetId', t));
  }
}
