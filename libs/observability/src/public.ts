import { SetMetadata } from '@nestjs/common';

/**
 * Metadata key of `@Public()`. The API's AuthGuard denies by default: a handler (or controller) without
 * this key needs a verified caller, whatever path spelling reached it. Lives here so that this lib's own
 * controllers (health, metrics) can declare themselves public without depending on the API.
 */
export const PUBLIC_ROUTE = 'tideline:public';

/** Marks a route (or every route of a controller) as needing no caller. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);
