import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { Client } from 'cassandra-driver';
import { MetricsService } from '@app/observability';
import { CASSANDRA_CLIENT } from '@app/storage-cassandra';

/** Requests in flight on all of the driver's connections, from its own state snapshot. */
export function driverInFlight(client: Client): number {
  const state = client.getState();
  return state.getConnectedHosts().reduce((sum, host) => sum + state.getInFlightQueries(host), 0);
}

/**
 * Worker gauges read from the Cassandra driver at scrape time: every statement the worker has in flight
 * (fanout, ingest, graph changes), next to fanout's own budget (tideline_fanout_statements_in_flight).
 */
@Injectable()
export class DriverMetrics implements OnModuleInit {
  constructor(
    @Inject(CASSANDRA_CLIENT) private readonly client: Client,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.metrics.gauge('tideline_cassandra_in_flight', 'Requests in flight on the Cassandra driver connections (client.getState())', () => driverInFlight(this.client));
  }
}
