import { validateEnv } from '../src/env.schema';

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
