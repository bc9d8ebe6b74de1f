import { DomainError, UserId } from '@app/domain';

/** A verified caller: the token's subject, and whether its scope includes `admin` (docs/api.md §2). */
export interface Caller {
  readonly sub: UserId;
  readonly admin: boolean;
}

/** Acting for another user needs the admin scope. */
export function assertActsFor(caller: Caller, user: UserId): void {
  if (caller.sub !== user && !caller.admin) throw new DomainError('FORBIDDEN', `token subject ${caller.sub} may not act for ${user}`);
}
