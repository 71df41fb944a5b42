/// A transactional producer for one transactional id: registers partitions with the
/// transaction, writes batches with the producer id, epoch and per-partition sequence numbers,
/// and commits or aborts.
///
/// `InitProducerId` at start bumps the id's epoch: earlier instances are fenced and the id's
/// open transaction is aborted. A pre-committed transaction that must survive a restart is
/// therefore ended with ``endTransaction(_:commit:client:)`` from its saved ``TransactionState`` —
/// `EndTxn` with the saved producer id and epoch, and no `InitProducerId`.
public actor TransactionalProducer {
    /// Where the producer is in its transaction.
    public enum Phase: Sendable, Hashable {
        /// No partition written since the last commit or abort.
        case idle
        /// Partitions written: a transaction is open.
        case open
        /// Committed or aborted; the next write opens a new transaction.
        case ended
        /// Fenced by a newer instance or failed: unusable.
        case failed
    }

    private let client: KafkaClient
    private let coordinator: BrokerAddress
    /// The producer's id, epoch and the current transaction's partitions.
    public private(set) var state: TransactionState
    /// Where the producer is.
    public private(set) var phase: Phase = .idle
    private var sequences: [TopicPartition: Int32] = [:]

    private init(client: KafkaClient, coordinator: BrokerAddress, state: TransactionState) {
        self.client = client
        self.coordinator = coordinator
        self.state = state
    }

    /// Finds the coordinator and gets a producer id and a new epoch for `transactionalID`.
    public static func start(client: KafkaClient, transactionalID: String, transactionTimeout: Duration = .seconds(60)) async throws -> TransactionalProducer {
        let coordinator = try await client.coordinator(of: transactionalID, type: .transaction)
        let producer = try await client.send(InitProducerIDRequest(transactionalID: transactionalID, transactionTimeout: transactionTimeout), to: coordinator)
        try check(producer.errorCode, .initProducerID, coordinator, transactionalID: transactionalID, epoch: -1)
        return TransactionalProducer(client: client, coordinator: coordinator,
                                     state: TransactionState(transactionalID: transactionalID, producerID: producer.producerID, producerEpoch: producer.producerEpoch))
    }

    /// Writes `records` to a partition inside the transaction (registering the partition first).
    public func send(_ records: [KafkaRecord], topic: String, partition: Int32) async throws {
        try openTransaction(for: .produce)
        let key = TopicPartition(topic: topic, partition: partition)
        if !state.partitions.contains(key) {
            let added = try await client.send(AddPartitionsToTxnRequest(transactionalID: state.transactionalID, producerID: state.producerID,
                                                                        producerEpoch: state.producerEpoch, partitions: [key]), to: coordinator)
            for result in added { try checkOrFail(result.errorCode, .addPartitionsToTxn, topic: result.topic, partition: result.partition) }
            state.partitions.append(key)
        }
        let sequence = sequences[key, default: 0]
        let batch = RecordBatch(records: records, producerID: state.producerID, producerEpoch: state.producerEpoch, baseSequence: sequence, isTransactional: true)
        do {
            let baseOffset = try await client.produce(batch, topic: topic, partition: partition, transactionalID: state.transactionalID)
            if state.firstOffsets[key] == nil { state.firstOffsets[key] = baseOffset }
        } catch KafkaError.broker(let code, let api, _, _, _, _) where code.isFencing {
            phase = .failed
            throw KafkaError.fenced(transactionalID: state.transactionalID, producerEpoch: state.producerEpoch, code: code, api: api)
        }
        // Sequence numbers wrap at Int32.max, as the protocol says.
        sequences[key] = (sequence &+ Int32(records.count)) & Int32.max
    }

    /// Commits a consumer group's positions with the transaction (read-process-write jobs):
    /// they become the group's positions only if the transaction commits.
    package func sendOffsets(_ offsets: [OffsetCommitRequest.PartitionOffset], groupID: String) async throws {
        try openTransaction(for: .addOffsetsToTxn)
        let added = try await client.send(AddOffsetsToTxnRequest(transactionalID: state.transactionalID, producerID: state.producerID,
                                                                 producerEpoch: state.producerEpoch, groupID: groupID), to: coordinator)
        try checkOrFail(added, .addOffsetsToTxn)
        let groupCoordinator = try await client.coordinator(of: groupID, type: .group)
        let results = try await client.send(TxnOffsetCommitRequest(transactionalID: state.transactionalID, groupID: groupID, producerID: state.producerID,
                                                                   producerEpoch: state.producerEpoch, offsets: offsets), to: groupCoordinator)
        for result in results { try checkOrFail(result.errorCode, .txnOffsetCommit, topic: result.topic, partition: result.partition) }
    }

    /// Opens a transaction unless one is open: the first write after a commit or an abort
    /// starts the next one. A failed (fenced) producer stays unusable.
    private func openTransaction(for api: APIKey) throws {
        guard phase != .failed else { throw KafkaError.fenced(transactionalID: state.transactionalID, producerEpoch: state.producerEpoch, code: .producerFenced, api: api) }
        if phase != .open {
            state.partitions = []
            state.firstOffsets = [:]
            phase = .open
        }
    }

    /// Commits the open transaction (nothing to do when no partition was written).
    public func commit() async throws { try await end(commit: true) }

    /// Aborts the open transaction.
    public func abort() async throws { try await end(commit: false) }

    private func end(commit: Bool) async throws {
        guard phase == .open else { return }
        do {
            try await Self.endTransaction(state, commit: commit, client: client)
            phase = .ended
        } catch {
            phase = .failed
            throw error
        }
    }

    /// Commits or aborts the transaction described by `state`, which another (perhaps dead)
    /// process wrote: `EndTxn` to the coordinator with the saved producer id and epoch. A
    /// newer epoch of the same id (another instance called `InitProducerId`) fails it with
    /// ``KafkaError/fenced(transactionalID:producerEpoch:code:api:)``.
    public static func endTransaction(_ state: TransactionState, commit: Bool, client: KafkaClient) async throws {
        var attempts = 0
        while true {
            let coordinator = try await client.coordinator(of: state.transactionalID, type: .transaction)
            let code = try await client.send(EndTxnRequest(transactionalID: state.transactionalID, producerID: state.producerID,
                                                           producerEpoch: state.producerEpoch, commit: commit), to: coordinator)
            // The coordinator moved or is still loading, or the previous EndTxn is being
            // completed: ask again.
            if [.notCoordinator, .coordinatorNotAvailable, .coordinatorLoadInProgress, .concurrentTransactions].contains(code), attempts < client.configuration.leaderRetries {
                attempts += 1
                try await Task.sleep(for: client.configuration.connectBackoff * (1 << attempts))
                continue
            }
            try check(code, .endTxn, coordinator, transactionalID: state.transactionalID, epoch: state.producerEpoch)
            return
        }
    }

    /// How a transaction ended, as its partitions' logs say.
    public enum Outcome: Sendable, Hashable {
        /// A commit marker.
        case committed
        /// An abort marker.
        case aborted
        /// No marker found (a state saved before first offsets were recorded, a partition
        /// whose log no longer holds the transaction, or a transaction still open).
        case unknown
    }

    /// Reads how the transaction of `state` ended from the control markers its coordinator
    /// wrote: the first control batch of the transaction's producer id after the
    /// transaction's first batch, in each partition written (read uncommitted). For a
    /// recovered transaction whose `EndTxn` was fenced: a newer epoch of the id means either
    /// that Weir committed it and reused the id, or that the broker aborted it (its
    /// transaction timeout passed while the job was down) — only the log tells which.
    public static func outcome(of state: TransactionState, client: KafkaClient, scanLimit: Int = 256 << 20) async throws -> Outcome {
        guard !state.firstOffsets.isEmpty, state.firstOffsets.count == state.partitions.count else { return .unknown }
        var outcomes: Set<Outcome> = []
        for (partition, first) in state.firstOffsets {
            var offset = first
            var scanned = 0
            var found: Outcome?
            scan: while found == nil, scanned < scanLimit {
                let data = try await client.fetch(topic: partition.topic, partition: partition.partition, offset: offset, isolationLevel: .readUncommitted,
                                                  maxWait: .milliseconds(10))
                var bytes = data.records
                scanned += bytes.readableBytes
                let batches = try RecordBatch.readAll(from: &bytes)
                guard let last = batches.last else { break scan }
                for batch in batches where batch.lastOffset >= offset && batch.isControl && batch.producerID == state.producerID {
                    guard let record = batch.records.first else { continue }
                    found = try ControlRecord(record).kind == .commit ? .committed : .aborted
                    break
                }
                offset = last.lastOffset + 1
                if offset >= data.highWatermark { break scan }
            }
            outcomes.insert(found ?? .unknown)
        }
        return outcomes.count == 1 ? outcomes.first! : (outcomes.contains(.aborted) ? .aborted : .unknown)
    }

    private func checkOrFail(_ code: KafkaErrorCode, _ api: APIKey, topic: String? = nil, partition: Int32? = nil) throws {
        do {
            try Self.check(code, api, coordinator, transactionalID: state.transactionalID, epoch: state.producerEpoch, topic: topic, partition: partition)
        } catch {
            phase = .failed
            throw error
        }
    }

    private static func check(_ code: KafkaErrorCode, _ api: APIKey, _ broker: BrokerAddress, transactionalID: String, epoch: Int16,
                              topic: String? = nil, partition: Int32? = nil) throws {
        guard code != .none else { return }
        if code.isFencing { throw KafkaError.fenced(transactionalID: transactionalID, producerEpoch: epoch, code: code, api: api) }
        throw KafkaError.broker(code, api: api, broker: broker, topic: topic, partition: partition, message: "transactional id \(transactionalID)")
    }
}
