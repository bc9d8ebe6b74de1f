import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsString, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { GROUP_ID_PATTERN, ID_PATTERN, VERB_PATTERN } from '@app/domain';

/**
 * One decorator per wire rule: each applies the class-validator constraint AND the OpenAPI description of
 * the same rule, from the same constants, so the document cannot promise what validation refuses (or the
 * reverse). DTOs use these, never a bare ApiProperty next to a separate validator.
 */

type Doc = { description?: string; example?: unknown; default?: unknown };

/** Absent means absent; an explicit value (also null) is validated. */
export const Optional = (): PropertyDecorator => ValidateIf((_o: object, v: unknown) => v !== undefined);

const ID_RULE = 'must be 1-128 characters of A-Z a-z 0-9 _ . : @ -';
const doc = (required: boolean, schema: Record<string, unknown>, d: Doc): PropertyDecorator =>
  required ? ApiProperty({ ...schema, ...d }) : ApiPropertyOptional({ ...schema, ...d });
const optional = (required: boolean): PropertyDecorator[] => (required ? [] : [Optional()]);

/** A user, object or activity id (docs/api.md §1.1). */
export function IdField(opts: Doc & { required?: boolean } = {}): PropertyDecorator {
  const { required = true, ...d } = opts;
  return applyDecorators(
    doc(required, { type: 'string', pattern: ID_PATTERN.source, minLength: 1, maxLength: 128 }, d),
    ...optional(required),
    IsString({ message: `$property ${ID_RULE}` }),
    Matches(ID_PATTERN, { message: `$property ${ID_RULE}` }),
  );
}

/** The verb of an activity. */
export function VerbField(d: Doc = {}): PropertyDecorator {
  const rule = '$property must be 1-64 characters of A-Z a-z 0-9 _ . : -';
  return applyDecorators(
    doc(true, { type: 'string', pattern: VERB_PATTERN.source, minLength: 1, maxLength: 64 }, d),
    IsString({ message: rule }),
    Matches(VERB_PATTERN, { message: rule }),
  );
}

/** A free string of `min`..`max` characters. */
export function TextField(min: number, max: number, opts: Doc & { required?: boolean } = {}): PropertyDecorator {
  const { required = true, ...d } = opts;
  const rule = `$property must be a string of ${min} to ${max} characters`;
  return applyDecorators(doc(required, { type: 'string', minLength: min, maxLength: max }, d), ...optional(required), IsString({ message: rule }), Length(min, max, { message: rule }));
}

/** An optional array of at most `max` user ids. */
export function IdListField(max: number, d: Doc = {}): PropertyDecorator {
  const rule = `$property must be an array of at most ${max} ids; each ${ID_RULE}`;
  return applyDecorators(
    ApiPropertyOptional({ type: 'array', items: { type: 'string', pattern: ID_PATTERN.source, minLength: 1, maxLength: 128 }, maxItems: max, ...d }),
    Optional(),
    IsArray({ message: rule }),
    ArrayMaxSize(max, { message: rule }),
    IsString({ each: true, message: rule }),
    Matches(ID_PATTERN, { each: true, message: rule }),
  );
}

/** Group ids of a notifications feed (`seen`/`read` bodies): the format only; unknown ids mark nothing. */
export function GroupIdListField(max: number, d: Doc = {}): PropertyDecorator {
  const rule = `$property must be an array of at most ${max} group ids as returned by the notifications feed`;
  return applyDecorators(
    ApiPropertyOptional({ type: 'array', items: { type: 'string', pattern: GROUP_ID_PATTERN.source }, maxItems: max, ...d }),
    Optional(),
    IsArray({ message: rule }),
    ArrayMaxSize(max, { message: rule }),
    IsString({ each: true, message: rule }),
    Matches(GROUP_ID_PATTERN, { each: true, message: rule }),
  );
}

/** An optional integer in [min, max]. */
export function IntField(min: number, max: number, d: Doc = {}): PropertyDecorator {
  const rule = `$property must be an integer from ${min} to ${max}`;
  return applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: min, maximum: max, ...d }),
    Optional(),
    IsInt({ message: rule }),
    Min(min, { message: rule }),
    Max(max, { message: rule }),
  );
}

/** An optional JSON boolean (not "true", not 1). */
export function BoolField(d: Doc = {}): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional({ type: 'boolean', ...d }), Optional(), IsBoolean({ message: '$property must be true or false' }));
}

/**
 * A page cursor: opaque, issued by the service. Only its type is validated here; the codec refuses anything
 * longer than `max` or not issued for this feed and user with INVALID_CURSOR (docs/api.md §2.3).
 */
export function CursorField(max: number): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: 'string', maxLength: max, description: 'opaque cursor: the `next` of a previous page of the same feed of the same user' }),
    Optional(),
    IsString({ message: 'cursor must be a single string' }),
  );
}
