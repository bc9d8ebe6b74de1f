import type { UserId } from '@app/domain';
import type { ForeignIdentity, ForeignIdStore } from '@app/feeds';

/** foreign_ids in memory: the first claim of a pair wins. */
export class InMemoryForeignIdStore implements ForeignIdStore {
  readonly rows = new Map<string, ForeignIdentity>();

  async claim(actor: UserId, foreignId: string, wanted: ForeignIdentity): Promise<ForeignIdentity> {
    const key = JSON.stringify([actor, foreignId]);
    const known = this.rows.get(key);
    if (known) return known;
    this.rows.set(key, wanted);
    return wanted;
  }
}
