import Weir

/// One subtask's side of a ``KafkaSink``. Called on the sink task's thread; every request to
/// Kafka is awaited there.
public final class KafkaSinkWriter<Serializer: KafkaRecordSerializer>: TwoPhaseCommitWriter {
    /// What the writer writes.
    public typealias Input = Serializer.Input
    /// One checkpoint interval's transaction.
    public typealias Transaction = KafkaSink<Serializer>.Transaction

    private let sink: KafkaSink<Serializer>
    private let subtask: Int
    /// The parallelism of the run whose checkpoint was restored (its subtasks' pool ids may linger).
    private let restoredParallelism: Int
    private let prefix: String
    private let client: KafkaClient
    private let partitionCount: Int32
    private var partitioner: KafkaPartitioner
    /// Records not sent yet, by partition.
    private var buffers: [Int32: [KafkaRecord]] = [:]
    /// The producer of the open transaction (exactly-once), from its first send to pre-commit.
    private var producer: TransactionalProducer?
    /// Pool ids taken, with how many transactions hold each (one, but for a restored checkpoint
    /// at another parallelism): from `beginTransaction` — or from the restore, for the ids the
    /// checkpoint names — until the sink's transaction lifecycle releases the transaction, when
    /// no checkpoint a restore could pick names it any more. Reusing an id earlier would let a
    /// restored job end, under that id, the newer transaction it holds by then.
    private var taken: [String: Int] = [:]
    private var nextPoolIndex = 0

    init(sink: KafkaSink<Serializer>, context: SinkContext) throws {
        let needed = context.retainedCheckpoints + 2
        guard sink.transactionalIDPoolSize >= needed else {
            throw KafkaSinkError.invalidConfiguration(
                "transactionalIDPoolSize (\(sink.transactionalIDPoolSize)) must be at least \(needed): an open and a pending transaction, and one for each of the "
                    + "\(context.retainedCheckpoints) retained checkpoints, whose transactions keep their ids while a restore could pick them")
        }
        guard sink.batchSize > 0 else { throw KafkaSinkError.invalidConfiguration("batchSize must be positive") }
        if sink.guarantee == .exactlyOnce, let interval = context.checkpointInterval, sink.transactionTimeout < interval * 2 + sink.restartAllowance {
            throw KafkaSinkError.invalidConfiguration(
                "transactionTimeout (\(sink.transactionTimeout)) must be at least twice the checkpoint interval (\(interval)) plus restartAllowance "
                    + "(\(sink.restartAllowance)): otherwise the broker may abort a pre-committed transaction before a restarted job commits it, and its records are lost")
        }
        self.sink = sink
        subtask = context.subtask
        restoredParallelism = context.restoredParallelism ?? 0
        prefix = sink.transactionalIDPrefix ?? "\(context.jobName)-\(context.operatorName)"
        partitioner = KafkaPartitioner(subtask: context.subtask)
        let client = KafkaClient(bootstrap: sink.bootstrap, configuration: sink.client)
        self.client = client
        let topic = sink.topic
        partitionCount = try awaitOnTaskThread {
            let metadata = try await client.refreshMetadata(topics: [topic])
            guard let described = metadata.topics.first(where: { $0.name == topic }), described.errorCode == .none, !described.partitions.isEmpty else {
                throw KafkaSinkError.unknownTopic(topic)
            }
            return Int32(described.partitions.count)
        }
    }

    private func poolID(subtask: Int, index: Int) -> String { "\(prefix)-\(subtask)-\(index)" }

    // MARK: The two phases

    /// Takes a transactional id from the pool for the interval before checkpoint `checkpointID` (`InitProducerId` when the first record comes).
    public func beginTransaction(checkpointID: Int64) throws -> Transaction {
        guard sink.guarantee == .exactlyOnce else { return Transaction(checkpointID: checkpointID, transactionalID: nil, state: nil, records: 0) }
        for step in 0..<sink.transactionalIDPoolSize {
            let index = (nextPoolIndex + step) % sink.transactionalIDPoolSize
            let id = poolID(subtask: subtask, index: index)
            guard taken[id] == nil else { continue }
            nextPoolIndex = index + 1
            taken[id] = 1
            return Transaction(checkpointID: checkpointID, transactionalID: id, state: nil, records: 0)
        }
        throw KafkaSinkError.poolExhausted(prefix: prefix, subtask: subtask, size: sink.transactionalIDPoolSize)
    }

    /// Sends the record of `value` inside the transaction.
    public func write(_ value: Input, timestamp: Int64, to transaction: inout Transaction) throws {
        let record = try sink.serializer.serialize(value)
        let partition = record.partition ?? partitioner.partition(for: record.key, partitions: partitionCount)
        let time = record.timestamp ?? (timestamp != StreamRecord<Input>.noTimestamp ? timestamp : ProcessingClock.nowMilliseconds())
        buffers[partition, default: []].append(KafkaRecord(timestamp: time, key: record.key, value: record.value, headers: record.headers))
        transaction.records += 1
        if buffers[partition]!.count >= sink.batchSize { try send(partition, in: &transaction) }
    }

    /// Flushes everything into the transaction; it stays open at the coordinator, invisible,
    /// until ``commit(_:)`` (or a restored job) ends it.
    public func preCommit(_ transaction: inout Transaction) throws {
        for partition in buffers.keys.sorted() { try send(partition, in: &transaction) }
        producer = nil
    }

    /// `EndTxn(commit)`; a transaction that ended already is fine.
    public func commit(_ transaction: Transaction) throws {
        if let state = transaction.state { try end(state, commit: true) }
    }

    /// `EndTxn(abort)`.
    public func abort(_ transaction: Transaction) throws {
        buffers.removeAll()
        producer = nil
        if let state = transaction.state { try end(state, commit: false) }
    }

    /// No restorable checkpoint names the transaction any more: its id may hold the next one.
    public func releaseTransaction(_ transaction: Transaction, endedHere: Bool) {
        guard let id = transaction.transactionalID, let count = taken[id] else { return }
        taken[id] = count > 1 ? count - 1 : nil
    }

    /// `EndTxn` from the transaction's saved state (no `InitProducerId`).
    private func end(_ state: TransactionState, commit: Bool) throws {
        let client = self.client
        try awaitOnTaskThread { try await TransactionalProducer.endTransaction(state, commit: commit, client: client) }
    }

    private func send(_ partition: Int32, in transaction: inout Transaction) throws {
        guard let records = buffers.removeValue(forKey: partition), !records.isEmpty else { return }
        let (client, topic) = (self.client, sink.topic)
        switch sink.guarantee {
        case .exactlyOnce:
            let open = try producer ?? startProducer(transaction.transactionalID!)
            producer = open
            transaction.state = try awaitOnTaskThread {
                try await open.send(records, topic: topic, partition: partition)
                return await open.state
            }
        case .atLeastOnce, .none:
            let acks: ProduceRequest.Acks = sink.guarantee == .none ? .leader : .all
            _ = try awaitOnTaskThread { try await client.produce(RecordBatch(records: records), topic: topic, partition: partition, acks: acks) }
        }
    }

    /// `InitProducerId` for `id`: a new epoch, which fences earlier holders of the id and aborts
    /// the transaction one of them left open.
    private func startProducer(_ id: String) throws -> TransactionalProducer {
        let (client, timeout) = (self.client, sink.transactionTimeout)
        return try awaitOnTaskThread { try await TransactionalProducer.start(client: client, transactionalID: id, transactionTimeout: timeout) }
    }

    // MARK: Recovery

    /// Commits a transaction of the restored checkpoint from its saved state, then initialises
    /// its id, which aborts anything a later run of the id left open.
    ///
    /// A fenced answer means the id got a newer epoch after this transaction. Either Weir
    /// committed the transaction and reused the id (the sink reuses an id only after its
    /// transaction was committed), or the broker aborted it — its transaction timeout passed
    /// while the job was down — and bumped the epoch itself. The partitions' control markers
    /// tell which; an aborted transaction fails the job with `TwoPhaseCommitError.lostTransaction`
    /// instead of being taken for committed.
    public func recoverAndCommit(_ transaction: Transaction) throws {
        try endRecovered(transaction, commit: true)
    }

    /// Aborts a transaction of an earlier run from its saved state.
    public func recoverAndAbort(_ transaction: Transaction) throws {
        try endRecovered(transaction, commit: false)
    }

    private func endRecovered(_ transaction: Transaction, commit: Bool) throws {
        guard let id = transaction.transactionalID else { return }
        if let state = transaction.state {
            do {
                try end(state, commit: commit)
            } catch KafkaError.fenced {
                if commit { try verifyCommitted(state, checkpointID: transaction.checkpointID) }
            } catch let error as KafkaError {
                // Tansu 0.6 closes the connection instead of answering PRODUCER_FENCED: a
                // marker of the transaction, if there is one, says how it ended. Without one it
                // may still be open (a real connection failure): the error stands, and the
                // sink's retries try again.
                guard case .connectionClosed = error, let ended = try? outcome(of: state), ended != .unknown else { throw error }
                if commit { try requireCommitted(ended, state, checkpointID: transaction.checkpointID) }
            }
        }
        _ = try startProducer(id)
    }

    /// After a fenced `EndTxn(commit)`: the transaction must have been committed, as its
    /// control markers say. States saved before first offsets were recorded cannot be checked
    /// and are taken for committed, as they always were.
    private func verifyCommitted(_ state: TransactionState, checkpointID: Int64) throws {
        guard !state.firstOffsets.isEmpty else { return }
        try requireCommitted(try outcome(of: state), state, checkpointID: checkpointID)
    }

    /// Throws unless the markers found the transaction committed.
    private func requireCommitted(_ outcome: TransactionalProducer.Outcome, _ state: TransactionState, checkpointID: Int64) throws {
        let what = "Kafka transaction \(state.transactionalID) (producer \(state.producerID), epoch \(state.producerEpoch)) of checkpoint \(checkpointID), partitions \(state.partitions.map(\.description).joined(separator: ", "))"
        switch outcome {
        case .committed:
            return
        case .aborted:
            throw TwoPhaseCommitError.lostTransaction("\(what) was aborted by the broker, not committed: its records are lost. Its transaction timeout (\(sink.transactionTimeout)) passed before the job came back to commit it; give the sink a longer transactionTimeout (and the broker a transaction.max.timeout.ms at least as long), then rerun the job from its input")
        case .unknown:
            throw TwoPhaseCommitError.lostTransaction("\(what) was fenced, and no commit or abort marker of it was found in its partitions from its first offsets on (has the log been truncated by retention?): Weir cannot tell whether its records were committed")
        }
    }

    /// How the transaction ended, by its control markers.
    private func outcome(of state: TransactionState) throws -> TransactionalProducer.Outcome {
        let client = self.client
        return try awaitOnTaskThread { try await TransactionalProducer.outcome(of: state, client: client) }
    }

    /// Initialises every pool id of this subtask — and of the subtasks of an earlier run with
    /// more subtasks that map to it — that the restored checkpoint does not know, aborting what
    /// an earlier run left open under them. Known ids are ended by whichever subtask got
    /// them; this run takes them only once the lifecycle released them.
    public func abortLingeringTransactions(known: [Transaction], parallelism: Int) throws {
        // Every transaction the checkpoint names is in the lifecycle, which releases each once.
        let knownIDs = known.compactMap(\.transactionalID)
        for id in knownIDs { taken[id, default: 0] += 1 }
        let known = Set(knownIDs)
        guard sink.guarantee == .exactlyOnce else { return }
        // The earlier run's parallelism comes from the checkpoint's metadata, not from the ids' names.
        for owner in stride(from: subtask, to: max(parallelism, restoredParallelism), by: parallelism) {
            for index in 0..<sink.transactionalIDPoolSize {
                let id = poolID(subtask: owner, index: index)
                if !known.contains(id) { _ = try startProducer(id) }
            }
        }
    }

    /// Closes the producers and the client.
    public func close() {
        let client = self.client
        _ = try? awaitOnTaskThread { await client.close() }
    }
}
