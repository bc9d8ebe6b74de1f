import { UserId } from '@app/domain';
import type { ReaderStateStore } from '@app/feeds';
import { contractTag, DAY, describeStore, MakeStore } from './support';

const EMPTY = { lastReadMs: null, homeFloorMs: null, seenAllMs: 0, readAllMs: 0, rebuildStartedMs: null, rebuiltMs: null, homeLayout: 0 };

/**
 * The ReaderStateStore contract (ports.ts): last-read, rebuild-started and mark-all watermarks never
 * move backwards (written with timestamp ms*1000); the home floor and the finished rebuild take the
 * latest call (a rebuild may lower the floor); marking all read marks all seen.
 */
export function readerStateStoreContract(make: MakeStore<ReaderStateStore>): void {
  describeStore('ReaderStateStore contract', make, (store) => {
    const now = Date.now();
    let tag = '';
    beforeEach(() => {
      tag = contractTag();
    });
    const u = (name: string): UserId => `${tag}-${name}`;

    it('reads defaults for an unknown user', async () => {
      expect(await store().get(u('nobody'))).toEqual(EMPTY);
    });

    it('moves last read forward only', async () => {
      const user = u('reader');
      await store().setLastRead(user, now);
      await store().setLastRead(user, now - 5000);
      expect(await store().get(user)).toEqual({ ...EMPTY, lastReadMs: now });
      await store().setLastRead(user, now + 5000);
      expect((await store().get(user)).lastReadMs).toBe(now + 5000);
    });

    it('sets the home floor to the latest call, lower or higher', async () => {
      const user = u('floor');
      await store().setHomeFloor(user, now - 7 * DAY);
      await store().setHomeFloor(user, now - 14 * DAY);
      expect(await store().get(user)).toEqual({ ...EMPTY, homeFloorMs: now - 14 * DAY });
      await store().setHomeFloor(user, now - DAY);
      expect((await store().get(user)).homeFloorMs).toBe(now - DAY);
    });

    it('startRebuild sets last read and rebuild-started in one write, neither moving backwards', async () => {
      const user = u('rebuild');
      await store().startRebuild(user, now);
      expect(await store().get(user)).toEqual({ ...EMPTY, lastReadMs: now, rebuildStartedMs: now });
      await store().setLastRead(user, now + 10);
      await store().startRebuild(user, now - 100); // reordered, older: changes nothing
      expect(await store().get(user)).toEqual({ ...EMPTY, lastReadMs: now + 10, rebuildStartedMs: now });
      await store().startRebuild(user, now + 20);
      expect(await store().get(user)).toEqual({ ...EMPTY, lastReadMs: now + 20, rebuildStartedMs: now + 20 });
    });

    it('finishRebuild records the rebuild it finished and the new home floor, leaving the rest', async () => {
      const user = u('finish');
      await store().setHomeFloor(user, now - DAY);
      await store().startRebuild(user, now);
      await store().finishRebuild(user, now, now - 14 * DAY, 2);
      expect(await store().get(user)).toEqual({ ...EMPTY, lastReadMs: now, rebuildStartedMs: now, rebuiltMs: now, homeFloorMs: now - 14 * DAY, homeLayout: 2 });
      await store().startRebuild(user, now + 50); // a newer rebuild pending: the finished one stays recorded
      expect(await store().get(user)).toMatchObject({ rebuildStartedMs: now + 50, rebuiltMs: now, homeFloorMs: now - 14 * DAY });
      await store().finishRebuild(user, now + 50, now - 3 * DAY, 2);
      expect(await store().get(user)).toMatchObject({ rebuildStartedMs: now + 50, rebuiltMs: now + 50, homeFloorMs: now - 3 * DAY });
    });

    it('moves the mark-all watermarks forward only; marking all read marks all seen', async () => {
      const user = u('marks');
      await store().markAll(user, 'seen', now - 100);
      await store().markAll(user, 'seen', now - 200);
      expect(await store().get(user)).toEqual({ ...EMPTY, seenAllMs: now - 100 });
      await store().markAll(user, 'read', now);
      expect(await store().get(user)).toEqual({ ...EMPTY, seenAllMs: now, readAllMs: now });
      await store().markAll(user, 'seen', now - 300);
      await store().markAll(user, 'read', now - 300);
      expect(await store().get(user)).toEqual({ ...EMPTY, seenAllMs: now, readAllMs: now });
      await store().markAll(user, 'seen', now + 10);
      expect(await store().get(user)).toEqual({ ...EMPTY, seenAllMs: now + 10, readAllMs: now });
    });

    it('reads the last-read times of many users, omitting users with none', async () => {
      const users = Array.from({ length: 12 }, (_, i) => u(`m${i}`));
      for (const [i, user] of users.slice(0, 6).entries()) await store().setLastRead(user, now - i);
      await store().setHomeFloor(users[8]!, now); // a state without a last read
      await store().markAll(users[9]!, 'read', now);
      const got = await store().lastReadMany([...users, users[0]!], 4);
      expect(got).toEqual(new Map(users.slice(0, 6).map((user, i) => [user, now - i])));
      expect(await store().lastReadMany([], 4)).toEqual(new Map());
    });
  });
}
