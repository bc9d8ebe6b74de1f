import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig, requireJwtSecret } from '@app/config';
import { CommandsService } from './commands/commands.service';
import { HomeMaterializer } from './home/home-materializer';
import { ACTIVITY_STORE, ActivityStore } from './ports';
import { CachedActivityStore, READ_ACTIVITY_STORE } from './read/activity-cache';
import { CURSOR_SECRET, CursorCodec } from './read/cursor';
import { FeedReaderService } from './read/feed-reader.service';
import { NotificationReaderService } from './read/notification-reader.service';
import { PulledFeeds } from './read/pulled-feeds';
import { ReaderContexts } from './read/reader-contexts';
import { RecentDeletes } from './read/recent-deletes';
import { ReturningReaders } from './read/returning-readers';

/**
 * The API side: feeds, notifications, returning readers and commands, with the caches that make a page one
 * partition read (reader contexts, pulled feeds, recent deletes). Needs the store ports and
 * EVENT_PUBLISHER (global). Cursors are signed with a key derived from AUTH_JWT_SECRET, which the API
 * refuses to start without; there is no fallback secret.
 */
@Module({
  providers: [
    {
      provide: CURSOR_SECRET,
      inject: [APP_CONFIG],
      useFactory: requireJwtSecret,
    },
    CursorCodec,
    // Hydration cache: by default entries live 5 s at most; 10,000 activities (about 10 MiB at 1 KiB each,
    // 80 MiB if every one carried the full 8 KiB of extra).
    {
      provide: READ_ACTIVITY_STORE,
      inject: [ACTIVITY_STORE, APP_CONFIG],
      useFactory: (store: ActivityStore, cfg: AppConfig) => new CachedActivityStore(store, cfg.tuning.readCacheTtlMs, cfg.tuning.readCacheEntries),
    },
    HomeMaterializer,
    ReaderContexts,
    PulledFeeds,
    RecentDeletes,
    ReturningReaders,
    FeedReaderService,
    NotificationReaderService,
    CommandsService,
  ],
  exports: [FeedReaderService, NotificationReaderService, CommandsService, READ_ACTIVITY_STORE, ReaderContexts, RecentDeletes],
})
export class ReadModule {}
