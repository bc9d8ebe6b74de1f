import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { GraphChange } from '@app/domain';
import { FanoutService } from '@app/feeds';
import { RecordContext, RecordErrorsPassthrough } from '@app/messaging-kafka';
import { FANOUT_PATTERNS } from './fanout.transport';

/** The `follows` topic: follow/unfollow edges, with the home timeline backfilled or cleaned (docs/api.md §3). */
@Controller()
@UseFilters(new RecordErrorsPassthrough())
export class FollowsController {
  constructor(private readonly fanout: FanoutService) {}

  @EventPattern(FANOUT_PATTERNS.follows)
  async onGraphChange(@Payload() change: GraphChange, @Ctx() ctx: RecordContext): Promise<void> {
    await this.fanout.applyGraphChange(change, ctx.getHeartbeat());
  }
}
