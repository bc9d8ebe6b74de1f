import type { IncomingMessage } from 'node:http';
import { loadAppConfig } from '@app/config';
import { pinoParams, prettyRequestLevel, requestLine } from '../src/logger';

describe('pretty development logs', () => {
  it('at info a successful fast request is not shown; failures and slow requests are', () => {
    expect(prettyRequestLevel(200, 4, false)).toBe('debug');
    expect(prettyRequestLevel(204, 1_500, false)).toBe('info');
    expect(prettyRequestLevel(404, 2, false)).toBe('warn');
    expect(prettyRequestLevel(503, 2, false)).toBe('error');
    expect(prettyRequestLevel(200, 2, true)).toBe('error');
  });

  it('the request line never carries a token from the query', () => {
    const req = { method: 'GET', originalUrl: '/v1/feeds/home/demo/stream?access_token=eyJ.secret.sig' } as IncomingMessage & { originalUrl: string };
    const line = requestLine(req, 200, 4);
    expect(line).toBe('GET /v1/feeds/home/demo/stream?access_token=[Redacted] 200 4ms');
  });

  it('json stays the default (no transport), pretty uses pino-pretty with the same redaction', () => {
    const json = pinoParams(loadAppConfig({ LOG_FORMAT: 'json' }), 'api').pinoHttp as Record<string, unknown>;
    const pretty = pinoParams(loadAppConfig({ LOG_FORMAT: 'pretty' }), 'api').pinoHttp as Record<string, unknown>;
    expect(json['transport']).toBeUndefined();
    expect((pretty['transport'] as { target: string }).target).toBe('pino-pretty');
    expect(pretty['redact']).toEqual(json['redact']);
    expect(Object.keys(pretty['serializers'] as object)).toEqual(Object.keys(json['serializers'] as object));
  });
});
