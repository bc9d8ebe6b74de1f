import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { CURSOR_SECRET, CursorCodec } from './read/cursor';
import { CommandsService } from './read/commands.service';
import { FeedReaderService } from './read/feed-reader.service';
import { NotificationReaderService } from './read/notification-reader.service';

/** The API side: feeds, notifications and commands. Needs the store ports and EVENT_PUBLISHER (global). */
@Module({
  providers: [
    // The API refuses to start without AUTH_JWT_SECRET; the fallback only serves tools that never issue cursors.
    { provide: CURSOR_SECRET, inject: [APP_CONFIG], useFactory: (cfg: AppConfig) => cfg.jwtSecret ?? 'tideline-development-only-secret' },
    CursorCodec,
    FeedReaderService,
    NotificationReaderService,
    CommandsService,
  ],
  exports: [FeedReaderService, NotificationReaderService, CommandsService],
})
export class ReadModule {}
