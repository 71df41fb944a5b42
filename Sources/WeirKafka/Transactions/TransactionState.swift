/// What another process needs to end (commit or abort) a transaction: saved with a checkpoint when the
/// transaction is pre-committed, given to ``TransactionalProducer/endTransaction(_:commit:client:)``
/// after a restart.
public struct TransactionState: Codable, Sendable, Hashable {
    /// The transactional id.
    public var transactionalID: String
    /// The producer id `InitProducerId` gave.
    public var producerID: Int64
    /// The epoch `InitProducerId` gave: `EndTxn` with it ends this transaction, and no newer one.
    public var producerEpoch: Int16
    /// The partitions written in this transaction (registered with the coordinator).
    public var partitions: [TopicPartition]
    /// The offset of the transaction's first batch in each partition written: where its
    /// control marker (commit or abort) can be looked for when `EndTxn` cannot tell any more
    /// (see ``TransactionalProducer/outcome(of:client:scanLimit:)``). Empty in states saved before
    /// Weir recorded it.
    public var firstOffsets: [TopicPartition: Int64]

    /// The state of a transaction.
    public init(transactionalID: String, producerID: Int64, producerEpoch: Int16, partitions: [TopicPartition] = [],
                firstOffsets: [TopicPartition: Int64] = [:]) {
        self.transactionalID = transactionalID
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.partitions = partitions
        self.firstOffsets = firstOffsets
    }

    enum CodingKeys: String, CodingKey {
        case transactionalID, producerID, producerEpoch, partitions, firstOffsets
    }

    /// Decodes a state, also one saved before ``firstOffsets`` existed.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        transactionalID = try container.decode(String.self, forKey: .transactionalID)
        producerID = try container.decode(Int64.self, forKey: .producerID)
        producerEpoch = try container.decode(Int16.self, forKey: .producerEpoch)
        partitions = try container.decode([TopicPartition].self, forKey: .partitions)
        // Checkpoints written before the first offsets were recorded.
        let offsets = try container.decodeIfPresent([FirstOffset].self, forKey: .firstOffsets) ?? []
        firstOffsets = Dictionary(offsets.map { ($0.partition, $0.offset) }, uniquingKeysWith: min)
    }

    /// Encodes the state.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(transactionalID, forKey: .transactionalID)
        try container.encode(producerID, forKey: .producerID)
        try container.encode(producerEpoch, forKey: .producerEpoch)
        try container.encode(partitions, forKey: .partitions)
        let offsets = firstOffsets.map { FirstOffset(partition: $0.key, offset: $0.value) }.sorted { $0.partition < $1.partition }
        try container.encode(offsets, forKey: .firstOffsets)
    }

    /// A dictionary entry as a value of its own: keyed containers have string keys only.
    struct FirstOffset: Codable {
        var partition: TopicPartition
        var offset: Int64
    }
}
