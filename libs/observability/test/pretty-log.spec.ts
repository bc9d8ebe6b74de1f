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

  it("pretty at info leaves out Nest's start-up inventory (a line per module and route); json and debug keep it", () => {
    const hookOf = (env: Record<string, string>) => (pinoParams(loadAppConfig(env), 'api').pinoHttp as { hooks?: { logMethod: (args: unknown[], m: (...a: unknown[]) => void) => void } }).hooks;
    const printed: unknown[][] = [];
    const method = (...a: unknown[]): void => void printed.push(a);
    const hook = hookOf({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'info' });
    hook?.logMethod([{ context: 'RouterExplorer' }, 'Mapped {/v1/feeds/home/:userId, GET} route'], method);
    hook?.logMethod([{ context: 'InstanceLoader' }, 'ApiModule dependencies initialized'], method);
    hook?.logMethod([{ context: 'NestApplication' }, 'Nest application successfully started'], method);
    hook?.logMethod(['plain message'], method);
    expect(printed.map((a) => a[a.length - 1])).toEqual(['Nest application successfully started', 'plain message']);
    expect(hookOf({ LOG_FORMAT: 'json', LOG_LEVEL: 'info' })).toBeUndefined();
    expect(hookOf({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'debug' })).toBeUndefined();
  });
});
