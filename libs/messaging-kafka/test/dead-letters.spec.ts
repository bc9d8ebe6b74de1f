import { activityIdFromIdentity, recordIdentity } from '@app/domain';
import { KafkaMessage } from 'kafkajs';
import { DeadLetter, parseDeadLetter, redriveValue, redriveVerdict } from '../src';

const topics = { activities: 'activities', follows: 'follows' };
const sources = ['activities', 'follows', 'tideline.fanout'];

function message(value: string | Buffer | null, headers: Record<string, string>, offset = '7', timestamp = '1764671400000'): KafkaMessage {
  return { key: Buffer.from('alice'), value: typeof value === 'string' ? Buffer.from(value) : value, headers, offset, timestamp, attributes: 0, size: 0 } as unknown as KafkaMessage;
}

const headers = (code: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'error-code': code,
  'error-message': 'boom',
  'source-topic': 'activities',
  'source-partition': '2',
  'source-offset': '41',
  ...extra,
});

const dl = (code: string, value: string | null = '{"actor":"alice","type":"post","object":"note:1"}', extra: Record<string, string> = {}): DeadLetter => parseDeadLetter(1, message(value, headers(code, extra)));

describe('parseDeadLetter', () => {
  it('decodes the contract headers (docs/api.md §3.4)', () => {
    const d = parseDeadLetter(3, message('x', headers('NOT_JSON', { 'original-size': '99' }), '12'));
    expect(d).toMatchObject({ partition: 3, offset: '12', code: 'NOT_JSON', message: 'boom', sourceTopic: 'activities', sourcePartition: 2, sourceOffset: '41', originalSize: 99, timestampMs: 1764671400000 });
    expect(d.key?.toString()).toBe('alice');
  });

  it('tolerates missing headers', () => {
    const d = parseDeadLetter(0, message(null, {}));
    expect(d).toMatchObject({ code: 'UNKNOWN', sourceTopic: null, sourcePartition: null, sourceOffset: null, originalSize: null, value: null });
  });
});

describe('redriveVerdict', () => {
  it('redrives PROCESSING_FAILED, and RECORD_TOO_LARGE once the limit fits the value', () => {
    expect(redriveVerdict(dl('PROCESSING_FAILED'), 1000, sources).kind).toBe('redrivable');
    expect(redriveVerdict(dl('RECORD_TOO_LARGE', 'x'.repeat(50)), 100, sources).kind).toBe('redrivable');
    const tooBig = redriveVerdict(dl('RECORD_TOO_LARGE', 'x'.repeat(500)), 100, sources);
    expect(tooBig.kind).toBe('needs-force');
  });

  it('asks for --force for codes that will fail again', () => {
    for (const code of ['INVALID_RECORD', 'NOT_JSON', 'EMPTY_VALUE', 'UNKNOWN_OP', 'ACTOR_MISMATCH', 'SOMETHING_NEW']) {
      expect(redriveVerdict(dl(code), 1000, sources).kind).toBe('needs-force');
    }
  });

  it('never redrives a cut value, an unknown source or a record without source headers', () => {
    expect(redriveVerdict(dl('PROCESSING_FAILED', 'x', { 'original-size': '5000' }), 1000, sources).kind).toBe('never');
    expect(redriveVerdict(dl('PROCESSING_FAILED', 'x', { 'source-topic': 'elsewhere' }), 1000, sources).kind).toBe('never');
    expect(redriveVerdict(parseDeadLetter(0, message('x', { 'error-code': 'PROCESSING_FAILED' })), 1000, sources).kind).toBe('never');
  });
});

describe('redriveValue', () => {
  it("pins a positional activity to its original position's id and a published time, the same on every redrive", () => {
    const d = dl('PROCESSING_FAILED');
    const a = JSON.parse(redriveValue(d, topics)?.toString() ?? '') as Record<string, unknown>;
    const b = JSON.parse(redriveValue(d, topics)?.toString() ?? '') as Record<string, unknown>;
    expect(a).toEqual(b);
    expect(a.published).toBe(new Date(1764671400000).toISOString());
    expect(a.id).toBe(activityIdFromIdentity(1764671400000, recordIdentity('activities', 2, '41')));
  });

  it('keeps a given published time', () => {
    const d = dl('PROCESSING_FAILED', '{"actor":"alice","type":"post","object":"note:1","published":"2026-12-01T10:00:00.000Z"}');
    const v = JSON.parse(redriveValue(d, topics)?.toString() ?? '') as Record<string, unknown>;
    expect(v.published).toBe('2026-12-01T10:00:00.000Z');
    expect(v.id).toBe(activityIdFromIdentity(Date.parse('2026-12-01T10:00:00.000Z'), recordIdentity('activities', 2, '41')));
  });

  it('leaves ids, foreign ids, deletes and non-JSON values alone', () => {
    for (const v of ['{"actor":"a","type":"t","object":"o","id":"X"}', '{"actor":"a","type":"t","object":"o","foreignId":"f"}', '{"op":"delete","id":"X","actor":"a"}', 'not json', '[1]']) {
      expect(redriveValue(dl('PROCESSING_FAILED', v), topics)?.toString()).toBe(v);
    }
  });

  it('dates a graph change without `at` at its dead-letter time', () => {
    const d = dl('PROCESSING_FAILED', '{"op":"follow","user":"a","target":"b"}', { 'source-topic': 'follows' });
    expect(JSON.parse(redriveValue(d, topics)?.toString() ?? '')).toEqual({ op: 'follow', user: 'a', target: 'b', at: new Date(1764671400000).toISOString() });
    const dated = dl('PROCESSING_FAILED', '{"op":"follow","user":"a","target":"b","at":"2026-12-01T00:00:00Z"}', { 'source-topic': 'follows' });
    expect(redriveValue(dated, topics)?.toString()).toBe('{"op":"follow","user":"a","target":"b","at":"2026-12-01T00:00:00Z"}');
  });
});
