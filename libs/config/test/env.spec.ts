import { validateEnv } from '../src/env.schema';
import { requireSafeDevTokens, toAppConfig } from '../src/app-config';

describe('validateEnv', () => {
  it('names a rejected AUTH_JWT_SECRET without echoing it (the message reaches logs and CI output)', () => {
    const secret = 'tooShort-9f3a';
    let message = '';
    try {
      validateEnv({ AUTH_JWT_SECRET: secret });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/AUTH_JWT_SECRET/);
    expect(message).toMatch(/at least 16 characters/);
    expect(message).not.toContain(secret);
  });

  it('still shows the value of an ordinary bad variable, which helps and leaks nothing', () => {
    expect(() => validateEnv({ PORT: 'eighty' })).toThrow(/PORT="eighty"/);
  });
});

describe('development and ops settings', () => {
  it('DEV_TOKENS is off by default and refused with NODE_ENV=production', () => {
    expect(toAppConfig(validateEnv({})).devTokens).toBe(false);
    expect(() => requireSafeDevTokens(toAppConfig(validateEnv({ DEV_TOKENS: 'true', NODE_ENV: 'production' })))).toThrow(/DEV_TOKENS=true is refused when NODE_ENV=production/);
    expect(() => requireSafeDevTokens(toAppConfig(validateEnv({ DEV_TOKENS: 'true', NODE_ENV: 'development' })))).not.toThrow();
    expect(() => validateEnv({ DEV_TOKENS: 'no' })).toThrow(/DEV_TOKENS must be true, false, 1 or 0/);
    expect(toAppConfig(validateEnv({ DEV_TOKENS: '1' })).devTokens).toBe(true);
  });

  it('LOG_FORMAT is json or pretty; worker metrics URLs default to the local worker port', () => {
    expect(toAppConfig(validateEnv({})).logFormat).toBe('json');
    expect(() => validateEnv({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT must be json or pretty/);
    expect(toAppConfig(validateEnv({ WORKER_HTTP_PORT: '9500' })).opsWorkerMetricsUrls).toEqual(['http://127.0.0.1:9500/metrics']);
    expect(toAppConfig(validateEnv({ OPS_WORKER_METRICS_URLS: 'http://a:1/metrics, http://b:2/metrics' })).opsWorkerMetricsUrls).toEqual(['http://a:1/metrics', 'http://b:2/metrics']);
    expect(() => validateEnv({ OPS_WORKER_METRICS_URLS: 'file:///etc/passwd' })).toThrow(/OPS_WORKER_METRICS_URLS/);
  });
});
