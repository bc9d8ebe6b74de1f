import { UserId } from '@app/domain';
import { ForeignIdStore, ForeignIdentity } from '@app/feeds';
import { Client, types } from 'cassandra-driver';
import { dateMs, IDEMPOTENT, ttlOrNull } from './cql';
import { FOREIGN_IDS_CQL } from './tables/foreign-ids.cql';

/**
 * foreign_ids. `claim` is a lightweight transaction (Paxos, SERIAL): of concurrent first submissions of one
 * (actor, foreignId), exactly one is applied and the others read it back. Retrying a claim is safe: it either
 * applies or returns the row already there, which may be this very claim.
 */
export class CassandraForeignIdStore implements ForeignIdStore {
  constructor(private readonly client: Client) {}

  async claim(actor: UserId, foreignId: string, wanted: ForeignIdentity, ttlSeconds: number): Promise<ForeignIdentity> {
    // A plain read first: a retry (the pair already claimed) costs no Paxos round.
    const known = await this.read(actor, foreignId);
    if (known) return known;
    const ttl = ttlOrNull(ttlSeconds) ?? 1;
    const rs = await this.client.execute(FOREIGN_IDS_CQL.claim, [actor, foreignId, wanted.id, new Date(wanted.publishedMs), ttl], IDEMPOTENT);
    const row = rs.first();
    if (row?.get('[applied]') === true) return wanted;
    // Not applied: the row holds the first claim (returned with the result; read it if the server did not).
    const id = row?.get('id') as string | null | undefined;
    const published = dateMs(row?.get('published'));
    if (id && published !== null) return { id, publishedMs: published };
    return (await this.read(actor, foreignId)) ?? wanted;
  }

  private async read(actor: UserId, foreignId: string): Promise<ForeignIdentity | null> {
    // LOCAL_SERIAL: sees a claim whose Paxos round is still completing, like the IF NOT EXISTS itself does.
    const row = (await this.client.execute(FOREIGN_IDS_CQL.get, [actor, foreignId], { ...IDEMPOTENT, consistency: types.consistencies.localSerial })).first();
    const id = row?.get('id') as string | null | undefined;
    const ms = dateMs(row?.get('published'));
    return id && ms !== null ? { id, publishedMs: ms } : null;
  }
}
