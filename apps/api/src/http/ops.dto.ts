import { ApiProperty } from '@nestjs/swagger';

/** `GET /v1/ops/overview` answer (docs/api.md §2.11). Counters and histograms are cumulative. */
export class PartitionLagDto {
  @ApiProperty({ example: 'activities' }) topic!: string;
  @ApiProperty({ type: 'integer' }) partition!: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'high watermark minus the committed offset (high - low if never committed)' }) lag!: number;
}

export class WorkerStatusDto {
  @ApiProperty({ example: 'http://127.0.0.1:9464/metrics' }) url!: string;
  @ApiProperty({ description: 'answered 200 within 1 s' }) up!: boolean;
}

export class DeadLetteredDto {
  @ApiProperty({ example: 'activities' }) topic!: string;
  @ApiProperty({ example: 'INVALID_RECORD' }) code!: string;
  @ApiProperty({ type: 'integer' }) count!: number;
}

export class OpsCountersDto {
  @ApiProperty({ type: 'integer', description: 'tideline_fanout_delivered_total, summed over the workers that answered' }) delivered!: number;
  @ApiProperty({ type: 'integer', description: 'tideline_records_consumed_total, summed over the workers that answered' }) recordsConsumed!: number;
  @ApiProperty({ type: [DeadLetteredDto], description: 'tideline_records_dead_lettered_total by topic and code' }) deadLettered!: DeadLetteredDto[];
}

export class HistogramBucketDto {
  @ApiProperty({ description: 'upper bound in seconds (finite bounds only; +Inf is `count`)' }) le!: number;
  @ApiProperty({ type: 'integer', description: 'observations at or below `le` (cumulative)' }) count!: number;
}

export class HistogramDto {
  @ApiProperty({ type: 'integer' }) count!: number;
  @ApiProperty({ description: 'sum of the observations, seconds' }) sum!: number;
  @ApiProperty({ type: [HistogramBucketDto] }) buckets!: HistogramBucketDto[];
}

export class OpsHistogramsDto {
  @ApiProperty({ type: HistogramDto, description: 'tideline_fanout_duration_seconds, every op, summed over the workers' }) fanoutSeconds!: HistogramDto;
  @ApiProperty({ type: HistogramDto, description: "this API instance's http_request_duration_seconds, every route" }) apiRequestSeconds!: HistogramDto;
}

export class OpsOverviewDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: [PartitionLagDto], description: "the workers' consumer group (KAFKA_GROUP_ID) on activities, follows and fanout chunks" }) lag!: PartitionLagDto[];
  @ApiProperty({ type: [WorkerStatusDto] }) workers!: WorkerStatusDto[];
  @ApiProperty({ type: OpsCountersDto }) counters!: OpsCountersDto;
  @ApiProperty({ type: OpsHistogramsDto }) histograms!: OpsHistogramsDto;
}
