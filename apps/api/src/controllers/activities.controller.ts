import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { Activity } from '@app/domain';
import { ActivityInputDto, Caller, CommandsService } from '@app/feeds';
import { CurrentCaller } from '../http/auth';
import { idParam } from '../http/params';
import { ActivityDto } from '../http/responses.dto';

@ApiTags('activities')
@ApiBearerAuth()
@Controller('v1/activities')
export class ActivitiesController {
  constructor(private readonly commands: CommandsService) {}

  /** Validated here, published to Kafka; fanout happens in the worker. 202 = accepted, not yet visible. */
  @Post()
  @HttpCode(202)
  @ApiBody({ type: ActivityInputDto })
  @ApiAcceptedResponse({ type: ActivityDto })
  publish(@CurrentCaller() caller: Caller, @Body() body: unknown): Promise<Activity> {
    return this.commands.publish(caller, body);
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'the delete is accepted; the activity is hidden at once and removed from every feed shortly' })
  async remove(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.commands.delete(caller, idParam('id', id));
  }
}
