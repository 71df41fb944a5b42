import Weir

/// Writes a stream into a Kafka topic, with the delivery guarantee asked for.
///
/// `.exactlyOnce` writes each checkpoint interval of a subtask inside one Kafka transaction:
/// flushed at the checkpoint's barrier (pre-commit), committed when the checkpoint completes.
/// The transaction's state (transactional id, producer id, epoch, partitions) is in the
/// checkpoint, so after a crash the restored job commits the pre-committed transactions by
/// resuming them (`EndTxn` with the saved producer id and epoch) and aborts the rest.
///
/// Transactional ids come from a bounded pool per subtask, `<prefix>-<subtask>-<n>` for n below
/// ``transactionalIDPoolSize``; every transaction gets a new epoch (`InitProducerId`). An id is
/// used again only after the sink's transaction lifecycle released its transaction — it ended
/// *and* no retained checkpoint (any of which a restore may pick) lists it —, so a restored
/// checkpoint never names an id that meanwhile holds a newer transaction. When a job starts, every id of its subtasks' pools that no restored checkpoint
/// knows is initialised once, which aborts whatever transaction an earlier run left open under
/// it. Two jobs writing to one cluster need different prefixes.
///
/// Readers of the topic should read read_committed: under read_uncommitted they also see the
/// records of transactions that a crash aborted.
public struct KafkaSink<Serializer: KafkaRecordSerializer>: TwoPhaseCommitSink {
    /// What the sink writes: the serializer's input.
    public typealias Input = Serializer.Input

    /// Brokers to learn the cluster from.
    public var bootstrap: [BrokerAddress]
    /// The topic written to (it must exist).
    public var topic: String
    /// How an element becomes a Kafka record.
    public let serializer: Serializer
    /// Exactly-once (the default), at-least-once or none.
    public var guarantee: DeliveryGuarantee
    /// Names this sink's transactions; default: the job's and the sink operator's names.
    public var transactionalIDPrefix: String?
    /// Transactional ids per subtask. The open transaction holds one, each pending one
    /// (pre-committed, its checkpoint not yet complete) one, and a committed one keeps its id
    /// while a retained checkpoint lists it (`CheckpointConfiguration.retainedCheckpoints`,
    /// default 2); after a restore the restored checkpoint's transactions keep theirs until
    /// that many of this run's checkpoints completed. In steady state that is
    /// `retainedCheckpoints + 2` (4), after a restore up to 2 more, and one more per checkpoint
    /// that failed in a row. The sink refuses a pool smaller than `retainedCheckpoints + 2`,
    /// and fails, naming this setting, rather than reuse an id too early. Every start
    /// initialises each id once, an `InitProducerId` each (about 50 ms apiece on noida-db
    /// 0.2.3). Default 8.
    public var transactionalIDPoolSize = 8
    /// Asked for in `InitProducerId`: the broker aborts a transaction left open this long. It
    /// must cover a checkpoint interval, the time to complete the checkpoint, and a restart —
    /// a transaction the broker aborted before the restarted job commits it is lost. Default
    /// 15 minutes (Kafka's default ceiling, `transaction.max.timeout.ms`). The sink refuses to
    /// start (`.exactlyOnce`) unless it is at least twice the checkpoint interval plus
    /// ``restartAllowance``.
    public var transactionTimeout: Duration = .seconds(900)
    /// How long a crashed job may take to be restarted and to commit what it restored, for the
    /// check of ``transactionTimeout``. Default 5 minutes.
    public var restartAllowance: Duration = .seconds(300)
    /// Records per partition sent in one batch (the rest at the barrier). Default 1,000.
    public var batchSize = 1_000
    /// The client's connection settings.
    public var client = KafkaClientConfiguration()

    /// A sink that writes into `topic`.
    public init(bootstrap: [BrokerAddress], topic: String, serializer: Serializer, guarantee: DeliveryGuarantee = .exactlyOnce) {
        self.bootstrap = bootstrap
        self.topic = topic
        self.serializer = serializer
        self.guarantee = guarantee
    }

    /// One subtask's transaction of one checkpoint interval.
    public struct Transaction: Codable, Sendable, Hashable {
        /// The checkpoint whose barrier pre-commits the transaction.
        public var checkpointID: Int64
        /// The id from the pool (`nil` without `.exactlyOnce`).
        public var transactionalID: String?
        /// The producer id and epoch once something was written (nothing to end before).
        public var state: TransactionState?
        /// Records written in the transaction.
        public var records: Int
    }

    /// The writer of one subtask.
    public func makeWriter(_ context: SinkContext) throws -> KafkaSinkWriter<Serializer> {
        try KafkaSinkWriter(sink: self, context: context)
    }
}
