/**
 * Kafka metrics of `tail`, on the registry of {@link TailMetrics}: consumer
 * lag per partition, rebalances, assigned partitions, commits, odd records.
 * Labels are topic names and partition numbers (bounded, not sensitive).
 */
import { Counter, Gauge } from 'prom-client';
import type { TailMetrics } from '../metrics/tail-metrics.js';
import type { GroupObserver } from './group-input.js';

/** The Kafka metrics, and the {@link GroupObserver} that feeds them. */
export class KafkaMetrics {
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly rebalances: Counter;
  readonly partitions: Gauge;
  readonly commits: Counter;
  readonly commitFailures: Counter;
  readonly oddRecords: Counter<'kind'>;
  readonly records: Counter;
  readonly recordBytes: Counter;

  constructor(metrics: TailMetrics) {
    const registers = [metrics.registry];
    this.lag = new Gauge({ name: 'iochunt_kafka_consumer_lag', help: 'Records between the offset committed by the group and the end of the partition, for the partitions assigned to this member.', labelNames: ['topic', 'partition'], registers });
    this.rebalances = new Counter({ name: 'iochunt_kafka_rebalances_total', help: 'Rebalances of the consumer group this member took part in (joins, including the first).', registers });
    this.partitions = new Gauge({ name: 'iochunt_kafka_assigned_partitions', help: 'Partitions the group assigned to this member.', registers });
    this.commits = new Counter({ name: 'iochunt_kafka_commits_total', help: 'Partition offsets committed after delivery.', registers });
    this.commitFailures = new Counter({ name: 'iochunt_kafka_commit_failures_total', help: 'Offset commits the group refused or that failed (retried).', registers });
    this.oddRecords = new Counter({ name: 'iochunt_kafka_odd_records_total', help: 'Records scanned that were empty (or tombstones) or not valid UTF-8 (scanned as bytes).', labelNames: ['kind'], registers });
    this.records = new Counter({ name: 'iochunt_kafka_records_total', help: 'Records fetched from the input topics.', registers });
    this.recordBytes = new Counter({ name: 'iochunt_kafka_record_bytes_total', help: 'Bytes of record values fetched from the input topics.', registers });
  }

  observer(): GroupObserver {
    return {
      assigned: (list) => {
        this.partitions.set(list.length);
        this.lag.reset();
      },
      rebalanced: () => this.rebalances.inc(),
      lag: (topic, partition, lag) => {
        if (lag >= 0) this.lag.set({ topic, partition: String(partition) }, lag);
      },
      committed: (n) => this.commits.inc(n),
      commitFailed: () => this.commitFailures.inc(),
      oddRecords: (kind, n) => this.oddRecords.inc({ kind }, n),
      fetched: (records, bytes) => {
        this.records.inc(records);
        this.recordBytes.inc(bytes);
      },
    };
  }
}
