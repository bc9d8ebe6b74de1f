import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { DomainError, FieldProblem } from '@app/domain';

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own: FieldProblem[] = e.constraints ? [{ field, problems: [...new Set(Object.values(e.constraints))] }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Deeper JSON than any activity needs; the walk below is iterative, so hostile depth cannot overflow. */
export const MAX_JSON_DEPTH = 32;

/**
 * Rejects input that the transformer must never see: nesting beyond MAX_JSON_DEPTH (it recurses and
 * would overflow the stack) and prototype-polluting keys (which it would silently drop). The same check
 * runs for REST bodies and Kafka records, so both paths refuse the same inputs.
 */
function assertShape(raw: object): void {
  const stack: [unknown, number][] = [[raw, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_JSON_DEPTH) throw new DomainError('VALIDATION_FAILED', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    for (const key of Object.keys(v)) {
      const child = (v as Record<string, unknown>)[key];
      // The same keys Fastify's JSON parser refuses: `__proto__`, and `constructor` carrying `prototype`.
      const poisoned = key === '__proto__' || (key === 'constructor' && typeof child === 'object' && child !== null && 'prototype' in child);
      if (poisoned) throw new DomainError('VALIDATION_FAILED', `forbidden key ${JSON.stringify(key)}`, [{ field: key, problems: ['is not allowed'] }]);
      stack.push([child, depth + 1]);
    }
  }
}

/**
 * Validates an untrusted plain value against a DTO class (whitelist; unknown fields refused unless told).
 * Throws VALIDATION_FAILED listing every offending field.
 */
export function validateInput<T extends object>(cls: new () => T, raw: unknown, opts: { unknownFields?: 'refuse' | 'ignore' } = {}): T {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DomainError('VALIDATION_FAILED', 'body must be a JSON object');
  }
  assertShape(raw);
  const dto = plainToInstance(cls, raw, { enableImplicitConversion: false });
  // Query strings may carry parameters a client adds for itself (cache busters): those are ignored there.
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: opts.unknownFields !== 'ignore', forbidUnknownValues: true });
  if (errors.length > 0) {
    const fields = flatten(errors);
    throw new DomainError('VALIDATION_FAILED', [...new Set(fields.flatMap((f) => f.problems))].join('; '), fields);
  }
  return dto;
}

