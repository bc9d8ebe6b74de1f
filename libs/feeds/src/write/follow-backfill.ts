import { Inject, Injectable } from '@nestjs/common';
import { UserId } from '@app/domain';
import { HomeMaterializer, RecentRows } from '../home/home-materializer';
import { READER_STATE_STORE, ReaderStateStore } from '../ports';

/**
 * An author's history in a follower's home, for a follow (graph changes) and for a demotion (every follower at
 * once). Where the copy was cut short by FOLLOW_BACKFILL_LIMIT, the reader's home floor rises to the oldest
 * copied activity: reads pull below it, so nothing is ever missing.
 */
@Injectable()
export class FollowBackfill {
  constructor(
    private readonly homes: HomeMaterializer,
    @Inject(READER_STATE_STORE) private readonly readers: ReaderStateStore,
  ) {}

  /** `recent`: the author's rows already read (HomeMaterializer.recentOf), when many homes take the same copy. */
  async backfill(user: UserId, author: UserId, tsMicros: number, recent?: RecentRows): Promise<void> {
    const now = Date.now();
    const copy = recent ? await this.homes.copyRows(user, recent, tsMicros, now) : await this.homes.copyRecent(user, author, tsMicros, now);
    if (copy.complete) return;
    const oldest = copy.oldestMs ?? now;
    const state = await this.readers.get(user);
    if (state.homeFloorMs === null || oldest > state.homeFloorMs) await this.readers.setHomeFloor(user, oldest);
  }
}
