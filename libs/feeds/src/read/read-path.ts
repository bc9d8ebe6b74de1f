import { AppConfig } from '@app/config';
import { CommandsService } from '../commands/commands.service';
import { HomeMaterializer } from '../home/home-materializer';
import { ActivityStore, DeleteMarkerStore, EventPublisher, ForeignIdStore, GraphStore, ReaderStateStore, TimelineStore } from '../ports';
import { CursorCodec } from './cursor';
import { FeedReaderService } from './feed-reader.service';
import { PulledFeeds } from './pulled-feeds';
import { ReaderContexts } from './reader-contexts';
import { RecentDeletes } from './recent-deletes';
import { ReturningReaders } from './returning-readers';

export interface ReadPorts {
  readonly activities: ActivityStore;
  readonly timelines: TimelineStore;
  readonly graph: GraphStore;
  readonly readers: ReaderStateStore;
  readonly deletes: DeleteMarkerStore;
  readonly foreignIds: ForeignIdStore;
  readonly events: EventPublisher;
}

export interface ReadPath {
  readonly reader: FeedReaderService;
  readonly commands: CommandsService;
  readonly contexts: ReaderContexts;
  /** Not polling: call `refresh()` to load it (until then pages verify every row, as they must). */
  readonly recentDeletes: RecentDeletes;
}

/** The API's read path wired by hand (tests, scripts, benchmarks); the API gets the same from ReadModule. */
export function createReadPath(cfg: AppConfig, p: ReadPorts, cursors: CursorCodec = new CursorCodec(cfg.jwtSecret ?? 'x'.repeat(32))): ReadPath {
  const contexts = new ReaderContexts(cfg, p.graph, p.readers);
  const recentDeletes = new RecentDeletes(cfg, p.deletes);
  const returning = new ReturningReaders(cfg, p.readers, new HomeMaterializer(cfg, p.timelines));
  const reader = new FeedReaderService(cfg, cursors, p.activities, p.timelines, contexts, new PulledFeeds(cfg, p.timelines), recentDeletes, returning);
  const commands = new CommandsService(cfg, cursors, p.activities, p.graph, p.events, p.deletes, p.foreignIds, contexts, recentDeletes);
  return { reader, commands, contexts, recentDeletes };
}
