import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { FanoutService } from '@app/feeds';
import { ActivityCommand, RecordContext, RecordErrorsPassthrough } from '@app/messaging-kafka';
import { FANOUT_PATTERNS } from './fanout.transport';

/** The `activities` topic: a create is stored and fanned out, a delete removed everywhere (docs/api.md §3). */
@Controller()
@UseFilters(new RecordErrorsPassthrough())
export class ActivitiesController {
  constructor(private readonly fanout: FanoutService) {}

  @EventPattern(FANOUT_PATTERNS.activities)
  async onActivity(@Payload() cmd: ActivityCommand, @Ctx() ctx: RecordContext): Promise<void> {
    if (cmd.kind === 'create') await this.fanout.ingest(cmd.activity, cmd.acceptedMs, ctx.getHeartbeat(), cmd.byForeignId);
    else await this.fanout.remove(cmd.id, cmd.actor, cmd.atMs, ctx.getHeartbeat());
  }
}
