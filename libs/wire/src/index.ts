/**
 * @app/wire — the shapes that cross the wire, as class-validator DTOs: REST requests (bodies, path
 * parameters, queries) and Kafka records. The API's validation pipe and the Kafka intake validate with the
 * same classes and the same `validateInput`, and the OpenAPI document is generated from them.
 */
export * from './activity.dto';
export * from './requests.dto';
export * from './rules';
export * from './validate';
