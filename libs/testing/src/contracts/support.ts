import { randomBytes } from 'node:crypto';

/**
 * What a store contract runs against: a store, and how to release it. `make` is called once per
 * contract (beforeAll), `close` once after it (afterAll). Every test uses ids with a fresh random tag,
 * so one store (for Cassandra: one keyspace) can be shared by every test and every run.
 */
export interface StoreFixture<S> {
  readonly store: S;
  readonly close?: () => Promise<void>;
}

export type MakeStore<S> = () => Promise<StoreFixture<S>>;

/** A fresh id prefix for one test. */
export const contractTag = (): string => `c${randomBytes(5).toString('hex')}`;

/**
 * Declares a `describe` block whose tests get the store through `get()`. The returned accessor throws
 * when called outside a test (before beforeAll has run).
 */
export function describeStore<S>(name: string, make: MakeStore<S>, body: (get: () => S) => void): void {
  describe(name, () => {
    let fixture: StoreFixture<S> | undefined;
    beforeAll(async () => {
      fixture = await make();
    });
    afterAll(async () => {
      await fixture?.close?.();
    });
    body(() => {
      if (!fixture) throw new Error(`${name}: store used before beforeAll`);
      return fixture.store;
    });
  });
}

export const DAY = 86_400_000;
/** A TTL comfortably longer than a test run; expiry is never asserted (fakes record TTLs, not enforce them). */
export const TTL = 3600;

/** Newest first by (ms, id), the order of every feed. */
export const byNewest = <T extends { ms: number; id: string }>(rows: readonly T[]): T[] =>
  [...rows].sort((a, b) => b.ms - a.ms || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
