/// What another process needs to finish a transaction: saved with a checkpoint when the
/// transaction is pre-committed, given to ``TransactionalProducer/finish(_:commit:client:)``
/// after a restart.
public struct TransactionState: Codable, Sendable, Hashable {
    public var transactionalID: String
    public var producerID: Int64
    public var producerEpoch: Int16
    /// The partitions written in this transaction (registered with the coordinator).
    public var partitions: [TopicPartition]

    public init(transactionalID: String, producerID: Int64, producerEpoch: Int16, partitions: [TopicPartition] = []) {
        self.transactionalID = transactionalID
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.partitions = partitions
    }
}
