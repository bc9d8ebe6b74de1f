import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { ID_PATTERN } from '@app/domain';

const ID_MSG = 'must be 1-128 characters of A-Z a-z 0-9 _ . : @ -';
/** Absent means absent; an explicit value (also null) is validated. */
const Optional = (): PropertyDecorator => ValidateIf((_o: object, v: unknown) => v !== undefined);
const idProperty = (example: string): PropertyDecorator => ApiProperty({ example, pattern: ID_PATTERN.source, minLength: 1, maxLength: 128 });

/** The query-string form of a page size: "" or absent = the default, digits = that number, anything else stays invalid. */
const toLimit = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : value);
const toCursor = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);

/** `:userId` (docs/api.md §1: user ids). */
export class UserParams {
  @idProperty('alice')
  @IsString() @Matches(ID_PATTERN, { message: `userId ${ID_MSG}` })
  userId!: string;
}

/** `:userId/.../:targetId`. */
export class UserTargetParams extends UserParams {
  @idProperty('bob')
  @IsString() @Matches(ID_PATTERN, { message: `targetId ${ID_MSG}` })
  targetId!: string;
}

/** `:id` of an activity. */
export class ActivityParams {
  @idProperty('01JD3Q5V7X9ZB2C4D6E8F0G1H2')
  @IsString() @Matches(ID_PATTERN, { message: `id ${ID_MSG}` })
  id!: string;
}

/** docs/api.md §2: a page without `limit` has 25 items. */
export const DEFAULT_PAGE_LIMIT = 25;

/** `?limit&cursor` of every page (docs/api.md §2 "Pages"). */
export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 25 })
  @Transform(toLimit)
  @Optional() @IsInt({ message: 'limit must be an integer from 1 to 100' }) @Min(1, { message: 'limit must be an integer from 1 to 100' }) @Max(100, { message: 'limit must be an integer from 1 to 100' })
  limit?: number;

  @ApiPropertyOptional({ description: 'opaque cursor from a previous page (`next`)', maxLength: 1024 })
  @Transform(toCursor)
  @Optional() @IsString({ message: 'cursor must be a single string' })
  cursor?: string;
}

/** A stream's query: EventSource cannot send headers, so the token may come as `access_token`. */
export class StreamQuery {
  @ApiPropertyOptional({ description: 'the JWT, for clients that cannot send an Authorization header' })
  @Optional() @IsString()
  access_token?: string;
}

/** `POST .../seen` and `/read`: `{ "groups": [...] }`; no body (or `{}`) = every group. */
export class MarkGroupsBody {
  @ApiPropertyOptional({ type: [String], maxItems: 1000, description: 'group ids; omit the body to mark every group' })
  @Optional() @IsArray({ message: 'groups must be an array of group id strings' }) @ArrayMaxSize(1000) @IsString({ each: true, message: 'groups must be an array of group id strings' })
  groups?: string[];
}

/** docs/api.md §2.10: `POST /dev/tokens` token lifetimes, in seconds. */
export const DEV_TOKEN_TTL = { min: 60, max: 86_400, default: 3_600 } as const;

/** `POST /dev/tokens` (development only): the token asks for exactly these claims, nothing more. */
export class DevTokenBody {
  @idProperty('demo')
  @IsString() @Matches(ID_PATTERN, { message: `sub ${ID_MSG}` })
  sub!: string;

  @ApiPropertyOptional({ type: 'boolean', default: false, description: 'adds scope "admin" (may act for any user)' })
  @Optional() @IsBoolean({ message: 'admin must be true or false' })
  admin?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: DEV_TOKEN_TTL.min, maximum: DEV_TOKEN_TTL.max, default: DEV_TOKEN_TTL.default })
  @Optional()
  @IsInt({ message: `ttlSeconds must be an integer from ${DEV_TOKEN_TTL.min} to ${DEV_TOKEN_TTL.max}` })
  @Min(DEV_TOKEN_TTL.min, { message: `ttlSeconds must be an integer from ${DEV_TOKEN_TTL.min} to ${DEV_TOKEN_TTL.max}` })
  @Max(DEV_TOKEN_TTL.max, { message: `ttlSeconds must be an integer from ${DEV_TOKEN_TTL.min} to ${DEV_TOKEN_TTL.max}` })
  ttlSeconds?: number;
}
