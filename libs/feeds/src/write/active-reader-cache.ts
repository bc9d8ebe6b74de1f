import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DAY_MS } from '@app/domain';

/**
 * Remembers readers known to be active. Only positive answers are cached: a reader's last-read time
 * only ever grows, so a cached value proves activity until it is `inactiveAfterDays` old, while a
 * cached "inactive" could hide a reader who just came back (and would then miss deliveries).
 */
@Injectable()
export class ActiveReaderCache {
  private readonly lastRead = new Map<string, number>();
  /** Bounded so that worker memory does not grow with follower counts (about 100 bytes per entry). */
  private readonly maxEntries = 100_000;
  private readonly spanMs: number;

  constructor(@Inject(APP_CONFIG) cfg: AppConfig) {
    this.spanMs = cfg.policy.inactiveAfterDays * DAY_MS;
  }

  isKnownActive(user: string, now: number): boolean {
    const ms = this.lastRead.get(user);
    return ms !== undefined && now - ms < this.spanMs;
  }

  remember(user: string, lastReadMs: number): void {
    if (this.lastRead.size >= this.maxEntries) {
      const oldest = this.lastRead.keys().next();
      if (!oldest.done) this.lastRead.delete(oldest.value);
    }
    this.lastRead.delete(user);
    this.lastRead.set(user, lastReadMs);
  }
}
