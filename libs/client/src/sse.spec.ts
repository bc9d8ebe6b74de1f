import { SseBlock, SseParser } from './sse';

const parse = (...chunks: string[]): SseBlock[] => {
  const p = new SseParser();
  return chunks.flatMap((c) => p.push(c));
};

describe('SseParser: fields', () => {
  it.each<[string, string, SseBlock[]]>([
    ['an event with id, type and data', 'id: 7\nevent: activity\ndata: {"id":"a"}\n\n', [{ id: '7', event: 'activity', data: '{"id":"a"}' }]],
    ['multi-line data joined with \\n', 'data: one\ndata: two\ndata:\n\n', [{ data: 'one\ntwo\n' }]],
    ['no space after the colon, and only one space removed', 'data:x\ndata:  y\n\n', [{ data: 'x\n y' }]],
    ['a field without colon has an empty value', 'data\n\n', [{ data: '' }]],
    ['comments are ignored, alone or between fields', ': connected\n\n: hi\ndata: x\n: mid\n\n', [{ data: 'x' }]],
    ['an id-only block (position without event)', ': heartbeat\nid: 41.-1.17\n\n', [{ id: '41.-1.17' }]],
    ['an empty id resets the id', 'id:\n\n', [{ id: '' }]],
    ['an id with NUL is ignored', 'id: a\0b\ndata: x\n\n', [{ data: 'x' }]],
    ['retry in digits', 'retry: 3000\n\n', [{ retry: 3000 }]],
    ['retry not in digits is ignored', 'retry: 3s\ndata: x\n\n', [{ data: 'x' }]],
    ['unknown fields are ignored', 'foo: bar\n\n', []],
    ['blank lines alone produce nothing', '\n\n\n', []],
    ['the last of repeated fields wins (event, id)', 'event: a\nevent: b\nid: 1\nid: 2\ndata: x\n\n', [{ id: '2', event: 'b', data: 'x' }]],
    ['a colon in the value is kept', 'data: a: b\n\n', [{ data: 'a: b' }]],
  ])('%s', (_name, input, expected) => {
    expect(parse(input)).toEqual(expected);
  });

  it('does not carry fields from one block into the next', () => {
    expect(parse('id: 1\nevent: a\ndata: x\n\ndata: y\n\n')).toEqual([{ id: '1', event: 'a', data: 'x' }, { data: 'y' }]);
  });

  it('holds an unfinished block until its blank line arrives, and drops nothing at the end', () => {
    const p = new SseParser();
    expect(p.push('data: x\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ data: 'x' }]);
  });
});

describe('SseParser: line endings', () => {
  it.each<[string, string]>([
    ['CRLF', 'id: 1\r\nevent: e\r\ndata: x\r\ndata: y\r\n\r\n'],
    ['CR', 'id: 1\revent: e\rdata: x\rdata: y\r\r'],
    ['mixed', 'id: 1\r\nevent: e\rdata: x\ndata: y\r\n\n'],
  ])('%s', (_name, input) => {
    expect(parse(input)).toEqual([{ id: '1', event: 'e', data: 'x\ny' }]);
  });

  it('reads CR + LF split over two chunks as one line ending', () => {
    expect(parse('data: x\r', '\n', 'data: y\r', '\n\r', '\n')).toEqual([{ data: 'x\ny' }]);
  });

  it('dispatches a block ended by CR CR without waiting for more text', () => {
    const p = new SseParser();
    expect(p.push('data: x\r\r')).toEqual([{ data: 'x' }]);
    expect(p.push('\ndata: y\n\n')).toEqual([{ data: 'y' }]);
  });
});

describe('SseParser: chunks split anywhere', () => {
  const stream =
    'retry: 3000\r\n\r\n: connected\nid: 0.-1.3\n\nid: 0.-1.4\nevent: activity\ndata: {"id":"a",\ndata: "n":"é"}\n\n' +
    ': heartbeat\rid: 0.-1.5\r\revent: delete\r\ndata: {"id":"a"}\r\nid: 0.-1.6\r\n\r\n';
  const expected: SseBlock[] = [
    { retry: 3000 },
    { id: '0.-1.3' },
    { id: '0.-1.4', event: 'activity', data: '{"id":"a",\n"n":"é"}' },
    { id: '0.-1.5' },
    { id: '0.-1.6', event: 'delete', data: '{"id":"a"}' },
  ];

  it('parses the whole stream in one chunk', () => {
    expect(parse(stream)).toEqual(expected);
  });

  it('gives the same blocks for every split into two chunks', () => {
    for (let i = 0; i <= stream.length; i++) expect({ at: i, blocks: parse(stream.slice(0, i), stream.slice(i)) }).toEqual({ at: i, blocks: expected });
  });

  it('gives the same blocks fed one character at a time, with empty chunks between', () => {
    expect(parse(...[...stream].flatMap((c) => [c, '']))).toEqual(expected);
  });

  it('gives the same blocks for every split into three chunks', () => {
    for (let i = 0; i <= stream.length; i += 3) {
      for (let j = i; j <= stream.length; j += 5) expect(parse(stream.slice(0, i), stream.slice(i, j), stream.slice(j))).toEqual(expected);
    }
  });
});
