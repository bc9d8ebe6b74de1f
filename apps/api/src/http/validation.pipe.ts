import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { DomainError } from '@app/domain';
import { ActivityInputDto, ActivityParams, DevTokenBody, MarkGroupsBody, PageQuery, UserParams, UserTargetParams, validateInput } from '@app/wire';

/** The request DTOs this pipe validates (anything else, e.g. the caller or the raw request, passes as is). */
const WIRE: ReadonlySet<unknown> = new Set([ActivityInputDto, ActivityParams, DevTokenBody, MarkGroupsBody, PageQuery, UserParams, UserTargetParams]);
/** Bodies for which "no body" means "all" (docs/api.md §2: mark seen/read). */
const OPTIONAL_BODIES: ReadonlySet<unknown> = new Set([MarkGroupsBody]);

/**
 * The one place REST input is validated: path parameters, queries and bodies against the @app/wire DTOs
 * (the same classes and `validateInput` the Kafka intake uses, and the OpenAPI document is generated from).
 * Every failure is VALIDATION_FAILED naming each field; a cursor that is not one string is INVALID_CURSOR.
 */
@Injectable()
export class WireValidationPipe implements PipeTransform {
  transform(value: unknown, meta: ArgumentMetadata): unknown {
    const cls = meta.metatype as (new () => object) | undefined;
    if (!cls || !WIRE.has(cls) || meta.type === 'custom') return value;
    if (meta.type === 'body') {
      // No body (or an empty one) is "all"; a JSON null is a body, and not an object: 400 like any other non-object.
      if (OPTIONAL_BODIES.has(cls) && value === undefined) return undefined;
      return validateInput(cls, value);
    }
    try {
      return validateInput(cls, value ?? {}, { unknownFields: meta.type === 'query' ? 'ignore' : 'refuse' });
    } catch (e) {
      if (e instanceof DomainError && e.fields?.length && e.fields.every((f) => f.field === 'cursor')) {
        throw new DomainError('INVALID_CURSOR', 'cursor must be a single string');
      }
      throw e;
    }
  }
}
