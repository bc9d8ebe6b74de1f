import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsObject,
  ValidateIf,
  IsString,
  Length,
  Matches,
  registerDecorator,
  ValidationOptions,
} from 'class-validator';
import { ID_PATTERN, MAX_EXTRA_BYTES, MAX_FOREIGN_ID, MAX_TO, parseRfc3339, VERB_PATTERN } from '@app/domain';

function IsRfc3339(options?: ValidationOptions) {
  return (object: object, propertyName: string): void =>
    registerDecorator({
      name: 'isRfc3339',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be an RFC 3339 date-time`, ...options },
      validator: { validate: (v: unknown) => typeof v === 'string' && parseRfc3339(v) !== null },
    });
}

function MaxJsonBytes(max: number, options?: ValidationOptions) {
  return (object: object, propertyName: string): void =>
    registerDecorator({
      name: 'maxJsonBytes',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must serialize to at most ${max} bytes`, ...options },
      validator: {
        validate: (v: unknown) => {
          try {
            return Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8') <= max;
          } catch {
            return false;
          }
        },
      },
    });
}

function IsPlainObject(options?: ValidationOptions) {
  return (object: object, propertyName: string): void =>
    registerDecorator({
      name: 'isPlainObject',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be a JSON object`, ...options },
      validator: { validate: (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) },
    });
}

/**
 * Optional means "may be absent", not "may be null": an explicit null is validated (and rejected) like
 * any other wrong value, so that it can never reach the id derivation or the stored activity.
 */
const Optional = (): PropertyDecorator => ValidateIf((_o: object, v: unknown) => v !== undefined);

const ID_MSG = 'must be 1-128 characters of A-Z a-z 0-9 _ . : @ -';

/**
 * An activity as producers submit it (docs/api.md §1), shared by the REST API and the Kafka intake so
 * both reject exactly the same inputs. Unknown top-level fields are rejected; custom data goes in `extra`.
 */
export class ActivityInputDto {
  @ApiProperty({ example: 'alice', pattern: ID_PATTERN.source })
  @IsString() @Matches(ID_PATTERN, { message: `actor ${ID_MSG}` })
  actor!: string;

  @ApiProperty({ example: 'Create', pattern: VERB_PATTERN.source, description: 'the verb' })
  @IsString() @Matches(VERB_PATTERN, { message: 'type must be 1-64 characters of A-Z a-z 0-9 _ . : -' })
  type!: string;

  @ApiProperty({ example: 'post:1', pattern: ID_PATTERN.source })
  @IsString() @Matches(ID_PATTERN, { message: `object ${ID_MSG}` })
  object!: string;

  @ApiPropertyOptional({ pattern: ID_PATTERN.source })
  @Optional() @IsString() @Matches(ID_PATTERN, { message: `target ${ID_MSG}` })
  target?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'default: the time it was accepted; at most 5 minutes in the future' })
  @Optional() @IsRfc3339()
  published?: string;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_TO, description: 'users who get it in their notifications' })
  @Optional() @IsArray() @ArrayMaxSize(MAX_TO) @IsString({ each: true }) @Matches(ID_PATTERN, { each: true, message: `each to entry ${ID_MSG}` })
  to?: string[];

  @ApiPropertyOptional({ maxLength: MAX_FOREIGN_ID, description: "the producer's own id; (actor, foreignId, published) identifies the activity" })
  @Optional() @IsString() @Length(1, MAX_FOREIGN_ID)
  foreignId?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: `any JSON object, at most ${MAX_EXTRA_BYTES} bytes serialized` })
  @Optional() @IsObject() @IsPlainObject() @MaxJsonBytes(MAX_EXTRA_BYTES)
  extra?: Record<string, unknown>;
}

/** The Kafka form additionally allows a pre-assigned `id` and `op: "create"`. */
export class ActivityRecordDto extends ActivityInputDto {
  @Optional() @IsString() @Matches(ID_PATTERN, { message: `id ${ID_MSG}` })
  id?: string;

  @Optional() @IsIn(['create'], { message: 'op must be "create" or "delete"' })
  op?: string;
}

/** `{ "op": "delete", "id", "actor" }` on the activities topic. */
export class DeleteRecordDto {
  @IsIn(['delete']) op!: 'delete';
  @IsString() @Matches(ID_PATTERN, { message: `id ${ID_MSG}` }) id!: string;
  @IsString() @Matches(ID_PATTERN, { message: `actor ${ID_MSG}` }) actor!: string;
}

/** `{ "op", "user", "target" }` on the follows topic; `at` (RFC 3339) is an optional extension. */
export class GraphRecordDto {
  @IsIn(['follow', 'unfollow', 'mute', 'unmute'], { message: 'op must be one of follow, unfollow, mute, unmute' })
  op!: 'follow' | 'unfollow' | 'mute' | 'unmute';
  @IsString() @Matches(ID_PATTERN, { message: `user ${ID_MSG}` }) user!: string;
  @IsString() @Matches(ID_PATTERN, { message: `target ${ID_MSG}` }) target!: string;
  @Optional() @IsRfc3339() at?: string;
}
