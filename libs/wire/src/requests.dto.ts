import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString } from 'class-validator';
import { MAX_CURSOR_LENGTH } from '@app/domain';
import { BoolField, CursorField, GroupIdListField, IdField, IntField, Optional } from './rules';

/** The query-string form of a page size: "" or absent = the default, digits = that number, anything else stays invalid. */
const toLimit = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : value);
const toCursor = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);

/** `:userId` (docs/api.md §1: user ids). */
export class UserParams {
  @IdField({ example: 'alice' })
  userId!: string;
}

/** `:userId/.../:targetId` (the two must differ: a cross-field rule the service checks, 400). */
export class UserTargetParams extends UserParams {
  @IdField({ example: 'bob' })
  targetId!: string;
}

/** `:id` of an activity. */
export class ActivityParams {
  @IdField({ example: '01JD3Q5V7X9ZB2C4D6E8F0G1H2' })
  id!: string;
}

/** docs/api.md §2: a page without `limit` has 25 items. */
export const DEFAULT_PAGE_LIMIT = 25;

/** `?limit&cursor` of every page (docs/api.md §2 "Pages"). */
export class PageQuery {
  @Transform(toLimit)
  @IntField(1, 100, { default: DEFAULT_PAGE_LIMIT })
  limit?: number;

  @Transform(toCursor)
  @CursorField(MAX_CURSOR_LENGTH)
  cursor?: string;
}

/** A stream's query: EventSource cannot send headers, so the token may come as `access_token`. */
export class StreamQuery {
  @ApiPropertyOptional({ description: 'the JWT, for clients that cannot send an Authorization header' })
  @Optional() @IsString({ message: 'access_token must be a single string' })
  access_token?: string;
}

/** Group ids one `seen`/`read` call may name. */
export const MAX_MARK_GROUPS = 1000;

/** `POST .../seen` and `/read`: `{ "groups": [...] }`; no body (or `{}`) = every group. */
export class MarkGroupsBody {
  @GroupIdListField(MAX_MARK_GROUPS, { description: 'group ids; omit the body (or the field) to mark every group' })
  groups?: string[];
}

/** docs/api.md §2.10: `POST /dev/tokens` token lifetimes, in seconds. */
export const DEV_TOKEN_TTL = { min: 60, max: 86_400, default: 3_600 } as const;

/** `POST /dev/tokens` (development only): the token asks for exactly these claims, nothing more. */
export class DevTokenBody {
  @IdField({ example: 'demo' })
  sub!: string;

  @BoolField({ default: false, description: 'adds scope "admin" (may act for any user)' })
  admin?: boolean;

  @IntField(DEV_TOKEN_TTL.min, DEV_TOKEN_TTL.max, { default: DEV_TOKEN_TTL.default })
  ttlSeconds?: number;
}
