/** Called between long steps so Kafka keeps the consumer in the group. */
export type Heartbeat = () => Promise<void>;
