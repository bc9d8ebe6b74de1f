import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Activity } from '@app/domain';
import { Caller, CommandsService } from '@app/feeds';
import { ActivityInputDto, ActivityParams } from '@app/wire';
import { ApiErrors, BODY_ERRORS, V1_ERRORS } from '../http/api-errors';
import { CurrentCaller } from '../http/auth';
import { ActivityDto } from '../http/responses.dto';

@ApiTags('activities')
@ApiBearerAuth()
@Controller('v1/activities')
export class ActivitiesController {
  constructor(private readonly commands: CommandsService) {}

  /** Validated here, published to Kafka; fanout happens in the worker. 202 = accepted, not yet visible. */
  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ActivityDto })
  @ApiErrors(V1_ERRORS, BODY_ERRORS, 'FORBIDDEN')
  publish(@CurrentCaller() caller: Caller, @Body() body: ActivityInputDto): Promise<Activity> {
    return this.commands.accept(caller, body);
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'the delete is accepted; the activity is hidden at once and removed from every feed shortly' })
  @ApiErrors(V1_ERRORS, 'VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND')
  async remove(@CurrentCaller() caller: Caller, @Param() p: ActivityParams): Promise<void> {
    await this.commands.delete(caller, p.id);
  }
}
