import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { CURSOR_SECRET, CursorCodec } from './read/cursor';
import { CachedActivityStore, READ_ACTIVITY_STORE } from './read/activity-cache';
import { ACTIVITY_STORE, ActivityStore } from './ports';
import { CommandsService } from './read/commands.service';
import { FeedReaderService } from './read/feed-reader.service';
import { NotificationReaderService } from './read/notification-reader.service';

/** The API side: feeds, notifications and commands. Needs the store ports and EVENT_PUBLISHER (global). */
@Module({
  providers: [
    // The API refuses to start without AUTH_JWT_SECRET; the fallback only serves tools that never issue cursors.
    { provide: CURSOR_SECRET, inject: [APP_CONFIG], useFactory: (cfg: AppConfig) => cfg.jwtSecret ?? 'tideline-development-only-secret' },
    CursorCodec,
    // Hydration cache: entries live 5 s at most; 10,000 activities (about 10 MiB at 1 KiB each, 80 MiB if
    // every one carried the full 8 KiB of extra).
    { provide: READ_ACTIVITY_STORE, inject: [ACTIVITY_STORE], useFactory: (store: ActivityStore) => new CachedActivityStore(store, 5_000, 10_000) },
    FeedReaderService,
    NotificationReaderService,
    CommandsService,
  ],
  exports: [FeedReaderService, NotificationReaderService, CommandsService, READ_ACTIVITY_STORE],
})
export class ReadModule {}
