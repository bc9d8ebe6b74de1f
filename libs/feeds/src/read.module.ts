import { Module } from '@nestjs/common';
import { CommandsService } from './read/commands.service';
import { FeedReaderService } from './read/feed-reader.service';
import { NotificationReaderService } from './read/notification-reader.service';

/** The API side: feeds, notifications and commands. Needs the store ports and EVENT_PUBLISHER (global). */
@Module({
  providers: [FeedReaderService, NotificationReaderService, CommandsService],
  exports: [FeedReaderService, NotificationReaderService, CommandsService],
})
export class ReadModule {}
