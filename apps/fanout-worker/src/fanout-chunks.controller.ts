import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { FanoutChunk, FanoutService } from '@app/feeds';
import { RecordErrorsPassthrough } from '@app/messaging-kafka';
import { FANOUT_PATTERNS } from './fanout.transport';

/** The internal fanout topic: one chunk of a large fanout, delivered to its recipients' home timelines. */
@Controller()
@UseFilters(new RecordErrorsPassthrough())
export class FanoutChunksController {
  constructor(private readonly fanout: FanoutService) {}

  @EventPattern(FANOUT_PATTERNS.fanout)
  async onChunk(@Payload() chunk: FanoutChunk): Promise<void> {
    await this.fanout.applyChunk(chunk);
  }
}
