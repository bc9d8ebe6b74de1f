import { Admin, GroupDescriptions, KafkaJSGroupCoordinatorNotFound, KafkaJSProtocolError } from 'kafkajs';
import { describeGroup } from '../src/group-offsets';
import { isCoordinatorPending } from '../src/kafka-errors';

/** Only describeGroups, answering from a script: an error to throw or the groups to return, per call. */
function scriptedAdmin(script: readonly (Error | GroupDescriptions)[]): { admin: Admin; calls: () => number } {
  let calls = 0;
  const admin = {
    describeGroups: async (): Promise<GroupDescriptions> => {
      const next = script[Math.min(calls++, script.length - 1)];
      if (next instanceof Error) throw next;
      return next as GroupDescriptions;
    },
  } as unknown as Admin;
  return { admin, calls: () => calls };
}

const stable: GroupDescriptions = {
  groups: [{ groupId: 'g', state: 'Stable', protocol: 'RoundRobinAssigner', protocolType: 'consumer', members: [{ memberId: 'm1', clientId: 'c1', clientHost: '/127.0.0.1', memberMetadata: Buffer.alloc(0), memberAssignment: Buffer.alloc(0) }] }],
};
// kafkajs's typings declare no constructor argument; its runtime takes the message, as kafkajs itself passes it.
const notFound = (): Error => new (KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error)('Failed to find group coordinator');
const loading = (): Error => Object.assign(new KafkaJSProtocolError('The coordinator is loading'), { type: 'GROUP_LOAD_IN_PROGRESS' });

describe('describeGroup on a broker that has no coordinator for the group yet (a fresh broker)', () => {
  it('asks again until the coordinator answers, instead of reporting "Failed to find group coordinator"', async () => {
    const { admin, calls } = scriptedAdmin([notFound(), loading(), stable]);
    await expect(describeGroup(admin, 'g')).resolves.toEqual({ groupId: 'g', state: 'Stable', members: [{ memberId: 'm1', clientId: 'c1', clientHost: '/127.0.0.1' }] });
    expect(calls()).toBe(3);
  });

  it('gives up with the broker\'s error once the wait is over', async () => {
    const { admin, calls } = scriptedAdmin([notFound()]);
    await expect(describeGroup(admin, 'g', 500)).rejects.toThrow('Failed to find group coordinator');
    expect(calls()).toBeGreaterThan(1);
  });

  it('does not retry other errors (a refused connection is reported at once)', async () => {
    const { admin, calls } = scriptedAdmin([new Error('connect ECONNREFUSED 127.0.0.1:9092'), stable]);
    await expect(describeGroup(admin, 'g')).rejects.toThrow('ECONNREFUSED');
    expect(calls()).toBe(1);
    expect(isCoordinatorPending(Object.assign(new Error('x'), { type: 'GROUP_AUTHORIZATION_FAILED' }))).toBe(false);
  });
});
