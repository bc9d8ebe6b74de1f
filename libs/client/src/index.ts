// @tideline/client: the typed client of the Tideline API (see ../README.md). Browser and Node 20+: fetch, streams,
// TextDecoder, AbortController and timers only.
export { createTidelineClient } from './client';
export { isTidelineError, TidelineError } from './errors';
export type { ErrorCode, FieldProblem } from './errors';
export type {
  Activity,
  ActivityPage,
  DevToken,
  GraphEntry,
  GraphPage,
  HomeEvent,
  LiveOptions,
  LiveState,
  LiveStream,
  NewActivity,
  NotificationEvent,
  NotificationGroup,
  NotificationPage,
  OpsOverview,
  PageOptions,
  Paged,
  TidelineClient,
  TidelineClientOptions,
  TokenSource,
} from './types';
export type { components, paths } from './generated/openapi';
