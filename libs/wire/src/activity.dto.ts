import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, registerDecorator, ValidationOptions } from 'class-validator';
import { MAX_EXTRA_BYTES, MAX_FOREIGN_ID, MAX_TO, parseRfc3339 } from '@app/domain';
// Optional: "may be absent", not "may be null"; an explicit null is validated (and refused) like any wrong value.
import { IdField, IdListField, Optional, TextField, VerbField } from './rules';

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
 * An activity as producers submit it (docs/api.md §1), shared by the REST API and the Kafka intake so
 * both reject exactly the same inputs. Unknown top-level fields are rejected; custom data goes in `extra`.
 */
export class ActivityInputDto {
  @IdField({ example: 'alice', description: "user id; over REST the caller's sub unless the caller is admin" })
  actor!: string;

  @VerbField({ example: 'Create', description: 'the verb' })
  type!: string;

  @IdField({ example: 'post:1' })
  object!: string;

  @IdField({ required: false })
  target?: string;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    description: `RFC 3339; default: the time it was accepted. At most 5 minutes in the future and within the retention window (FEED_RETENTION_DAYS), else 400`,
  })
  @Optional() @IsRfc3339()
  published?: string;

  @IdListField(MAX_TO, { description: 'users who get it in their notifications' })
  to?: string[];

  @TextField(1, MAX_FOREIGN_ID, { required: false, description: "the producer's own id; (actor, foreignId, published) identifies the activity" })
  foreignId?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: `any JSON object, at most ${MAX_EXTRA_BYTES} bytes serialized` })
  @Optional() @IsObject() @IsPlainObject() @MaxJsonBytes(MAX_EXTRA_BYTES)
  extra?: Record<string, unknown>;
}

/** The Kafka form additionally allows a pre-assigned `id` and `op: "create"`. */
export class ActivityRecordDto extends ActivityInputDto {
  @IdField({ required: false })
  id?: string;

  @Optional() @IsIn(['create'], { message: 'op must be "create" or "delete"' })
  op?: string;
}

/** `{ "op": "delete", "id", "actor" }` on the activities topic. */
export class DeleteRecordDto {
  @IsIn(['delete']) op!: 'delete';
  @IdField() id!: string;
  @IdField() actor!: string;
}

/** `{ "op", "user", "target" }` on the follows topic; `at` (RFC 3339) is an optional extension. */
export class GraphRecordDto {
  @IsIn(['follow', 'unfollow', 'mute', 'unmute'], { message: 'op must be one of follow, unfollow, mute, unmute' })
  op!: 'follow' | 'unfollow' | 'mute' | 'unmute';
  @IdField() user!: string;
  @IdField() target!: string;
  @Optional() @IsRfc3339() at?: string;
}
