/** The cassandra-driver Client bound to the application keyspace. */
export const CASSANDRA_CLIENT = Symbol('CASSANDRA_CLIENT');
