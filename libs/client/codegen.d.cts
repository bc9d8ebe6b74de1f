/** Renders libs/client/src/generated/openapi.ts from an OpenAPI 3 document (see codegen.cjs). */
export declare function renderClientTypes(doc: object): Promise<string>;
