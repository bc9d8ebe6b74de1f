import { scrubQuery, scrubUrl } from '../src/logger';

const T = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';

describe('scrubUrl: no spelling of access_token that the query parser decodes survives in a logged URL', () => {
  const spellings: [string, string][] = [
    ['plain', `/v1/feeds/home/a/stream?access_token=${T}`],
    ['after another parameter', `/v1/feeds/home/a/stream?x=1&access_token=${T}`],
    ['percent-encoded underscore', `/v1/feeds/home/a/stream?access%5Ftoken=${T}`],
    ['percent-encoded underscore, lower-case hex', `/v1/feeds/home/a/stream?access%5ftoken=${T}`],
    ['every letter percent-encoded', `/s?${[...'access_token'].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}=${T}`],
    ['repeated', `/s?access_token=${T}&access_token=${T}`],
    ['upper case', `/s?ACCESS_TOKEN=${T}`],
    ['percent-encoded value', `/s?access_token=${encodeURIComponent(T)}`],
    ['value containing #', `/s?access_token=${T.slice(0, 10)}#${T.slice(10)}`],
    ['after a ;', `/s?a=1;access_token=${T}`],
    ['with a trailing + (a space once decoded)', `/s?access_token+=${T}`],
    ['value without =', `/s?access_token=${T}=`],
    ['hidden in another value, encoded', `/s?x=1%3Baccess_token%3D${T}`],
  ];
  it.each(spellings)('%s', (_, url) => {
    const out = scrubUrl(url);
    expect(out).not.toContain(T);
    expect(out).not.toContain(T.slice(10));
    expect(out).toContain('[Redacted]');
  });

  it('keeps the path and every other parameter as they were', () => {
    expect(scrubUrl('/v1/feeds/home/a/stream?limit=5&access_token=abc&cursor=x%20y')).toBe('/v1/feeds/home/a/stream?limit=5&access_token=[Redacted]&cursor=x%20y');
    expect(scrubUrl('/v1/feeds/user/a')).toBe('/v1/feeds/user/a');
    expect(scrubUrl('/v1/feeds/user/a?bad=%E0%A4%A')).toBe('/v1/feeds/user/a?bad=%E0%A4%A');
  });

  it('does not scrub keys that only contain the word', () => {
    expect(scrubUrl('/s?my_access_token_hint=1')).toBe('/s?my_access_token_hint=1');
  });

  it('redacts token-like keys of a parsed query object', () => {
    expect(scrubQuery({ access_token: T, ACCESS_TOKEN: [T, T], limit: '5' })).toEqual({ access_token: '[Redacted]', ACCESS_TOKEN: '[Redacted]', limit: '5' });
    // `?x=1;access_token=T` parses as x = "1;access_token=T".
    expect(JSON.stringify(scrubQuery({ x: `1;access_token=${T}`, y: [`access_token=${T}`] }))).not.toContain(T);
  });
});
