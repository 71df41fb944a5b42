import NIOCore

/// Reads a fixed set of partitions (assigned by the caller: no group membership, no
/// rebalancing), keeping a position per partition that the caller may store and restore —
/// a stream processor's checkpoint is the truth about what was read, not the broker.
///
/// Each ``poll()`` sends one fetch to each leader of the ready partitions, in parallel, and
/// returns what they delivered, so a poll holds at most ``ConsumerConfiguration/partitionMaxBytes``
/// per partition (and a first batch larger than that). Under read_committed the records go
/// through a read_committed filter: only committed transactions, in offset order, each after
/// its commit marker. A partition whose next records wait for a marker is paused for
/// ``ConsumerConfiguration/maxWait`` rather than fetched again at once; when a transaction
/// fills a whole fetch without its marker, that partition's fetch size doubles (up to
/// ``ConsumerConfiguration/partitionMaxBytesLimit``). When the broker's committed view (its last
/// stable offset) ends inside a transaction the filter holds — a committed transaction
/// interleaved with one still open, or a stale last stable offset (Tansu) — that partition is
/// fetched read_uncommitted until the transaction is decided by its marker.
public struct KafkaConsumer: Sendable {
    /// The client the consumer fetches through.
    public let client: KafkaClient
    /// How the consumer fetches.
    public let configuration: ConsumerConfiguration
    /// In assignment order, so fetches list partitions the same way every time.
    private var order: [TopicPartition] = []
    private var states: [TopicPartition: PartitionFetchState] = [:]
    /// Consecutive polls that failed to fetch something (connection lost, leader moved).
    private var failedPolls = 0
    /// Assigned partitions not fetched until resumed (their reader has enough of them).
    public private(set) var paused: Set<TopicPartition> = []

    /// A consumer with no partitions assigned yet.
    public init(client: KafkaClient, configuration: ConsumerConfiguration = ConsumerConfiguration()) {
        self.client = client
        self.configuration = configuration
    }

    // MARK: Assignment and positions

    /// Adds partitions, each starting where `starts` says; an already assigned partition is
    /// moved to its new start.
    public mutating func assign(_ starts: [TopicPartition: StartPosition]) async throws {
        for partition in starts.keys.sorted() {
            let position = try await resolve(starts[partition]!, for: partition)
            if states[partition] == nil { order.append(partition) }
            states[partition] = PartitionFetchState(position: position, maxBytes: configuration.partitionMaxBytes)
        }
    }

    /// Stops reading `partitions`.
    public mutating func unassign(_ partitions: some Sequence<TopicPartition>) {
        for partition in partitions { states[partition] = nil }
        order.removeAll { states[$0] == nil }
        paused.subtract(partitions)
    }

    /// The assigned partitions, in the order they were assigned.
    public var assignment: [TopicPartition] { order }

    /// The offset of the next record each partition delivers: what to store to resume exactly here.
    public var positions: [TopicPartition: Int64] { states.mapValues(\.position) }

    /// Records the partition holds beyond the position, as of the latest fetch (`nil` before
    /// one). Under read_committed it counts up to the last stable offset.
    public func lag(of partition: TopicPartition) -> Int64? {
        guard let state = states[partition] else { return nil }
        let end = configuration.isolationLevel == .readCommitted ? (state.lastStableOffset ?? state.highWatermark) : state.highWatermark
        return end.map { max(0, $0 - state.position) }
    }

    /// Stops fetching `partitions` (they stay assigned, their positions kept) until resumed.
    public mutating func pause(_ partitions: some Sequence<TopicPartition>) { paused.formUnion(partitions) }

    /// Fetches paused `partitions` again.
    public mutating func resume(_ partitions: some Sequence<TopicPartition>) { paused.subtract(partitions) }

    /// Moves a partition's position (it must be assigned).
    public mutating func seek(_ partition: TopicPartition, to offset: Int64) {
        precondition(states[partition] != nil, "\(partition) is not assigned")
        states[partition]!.position = offset
        states[partition]!.maxBytes = configuration.partitionMaxBytes
        states[partition]!.pausedUntil = nil
    }

    private func resolve(_ start: StartPosition, for partition: TopicPartition) async throws -> Int64 {
        switch start {
        case .offset(let offset):
            return offset
        case .earliest:
            return try await client.offset(of: partition.topic, partition: partition.partition, at: .earliest, isolationLevel: configuration.isolationLevel)
        case .latest:
            return try await Self.end(of: partition, client: client, isolationLevel: configuration.isolationLevel)
        case .timestamp(let timestamp):
            return try await client.offset(of: partition.topic, partition: partition.partition, at: .timestamp(timestamp), isolationLevel: configuration.isolationLevel)
        case .committed(let groupID, let otherwise):
            if let stored = try await client.committedOffsets(groupID: groupID, partitions: [partition])[partition] { return stored }
            return try await resolve(otherwise, for: partition)
        }
    }

    /// Where a partition ends now: the high watermark, or under read_committed the end of the
    /// decided transactions, as a fetch near the end reports them. Not ListOffsets alone: Tansu
    /// 0.6 answers it with the last batch's base offset + 1, and 0 under read_committed; the
    /// fetch starts there (read_uncommitted, so that it is near the end on every broker) and
    /// reads the partition's marks from the response. (With no wait at all, Tansu leaves the
    /// partition out of its answer; it is asked again, up to five times, waiting longer each
    /// time.) A last stable offset below the high watermark is checked against the markers in
    /// the log (`KafkaClient.stableEnd(of:reported:highWatermark:)`): Tansu's can be stale.
    public static func end(of partition: TopicPartition, client: KafkaClient, isolationLevel: KafkaIsolationLevel) async throws -> Int64 {
        let listed = try await client.offset(of: partition.topic, partition: partition.partition, at: .latest, isolationLevel: .readUncommitted)
        var wait = Duration.milliseconds(100)
        for attempt in 1...5 {
            do {
                let data = try await client.fetch(topic: partition.topic, partition: partition.partition, offset: listed, isolationLevel: isolationLevel,
                                                  maxWait: wait, maxBytes: 64 << 10)
                guard isolationLevel == .readCommitted, data.lastStableOffset >= 0, data.lastStableOffset < data.highWatermark else { return data.highWatermark }
                return try await client.stableEnd(of: partition, reported: data.lastStableOffset, highWatermark: data.highWatermark)
            } catch let error as KafkaError {
                // A broker that left the partition out of its answer (Tansu, when it had no time)
                // is asked again, waiting longer; a wrong end would lose or repeat records.
                guard case .protocolViolation = error, attempt < 5 else { throw error }
                wait *= 2
            }
        }
        preconditionFailure("unreachable")
    }

    // MARK: Polling

    /// One round of fetches; the records of all ready partitions, each partition's in offset
    /// order. Empty when nothing new came within ``ConsumerConfiguration/maxWait``.
    ///
    /// A lost connection, a timeout or a moved leader is retried on the next poll (after a
    /// growing backoff) up to ``ConsumerConfiguration/fetchRetries`` times in a row, then thrown.
    public mutating func poll() async throws -> [ConsumedRecord] {
        let started = ContinuousClock.now
        let ready = order.filter { !paused.contains($0) && states[$0]!.isReady(at: started) }
        guard !ready.isEmpty else {
            let resume = order.filter { !paused.contains($0) }.compactMap { states[$0]!.pausedUntil }.min() ?? started + configuration.maxWait
            try await Task.sleep(until: resume, clock: .continuous)
            return []
        }
        // One request per leader and isolation level: a partition reading ahead of its broker's
        // last stable offset is fetched read_uncommitted (see `apply`).
        var byTarget: [FetchTarget: [FetchRequest.PartitionFetch]] = [:]
        var targetOrder: [FetchTarget] = []
        do {
            for partition in ready {
                let state = states[partition]!
                let target = FetchTarget(leader: try await client.leader(of: partition.topic, partition: partition.partition),
                                         isolationLevel: state.readsAhead ? .readUncommitted : configuration.isolationLevel)
                if byTarget[target] == nil { targetOrder.append(target) }
                byTarget[target, default: []].append(.init(topic: partition.topic, partition: partition.partition, offset: state.position, maxBytes: state.maxBytes))
            }
        } catch let error as KafkaError where Self.isTransient(error) {
            try await backOff(after: error)
            return []
        }

        let maxWait = configuration.maxWait
        let fetchMaxBytes = configuration.fetchMaxBytes
        let client = client
        let responses = await withTaskGroup(of: (FetchTarget, Result<[FetchRequest.PartitionData], any Error>).self) { group in
            for target in targetOrder {
                // The request asks for no more than its partitions may hold: some brokers
                // (Tansu 0.6) honour only the request's limit, not the partitions'.
                let partitions = byTarget[target]!
                let partitionBytes = partitions.reduce(Int64(0)) { $0 + Int64($1.maxBytes) }
                let request = FetchRequest(partitions: partitions, isolationLevel: target.isolationLevel, maxWait: maxWait,
                                           maxBytes: Int32(min(Int64(fetchMaxBytes), partitionBytes)))
                group.addTask {
                    do {
                        return (target, .success(try await client.send(request, to: target.leader, timeout: client.configuration.requestTimeout + maxWait)))
                    } catch {
                        return (target, .failure(error))
                    }
                }
            }
            var responses: [FetchTarget: Result<[FetchRequest.PartitionData], any Error>] = [:]
            for await (target, result) in group { responses[target] = result }
            return responses
        }

        var delivered: [ConsumedRecord] = []
        var transientError: KafkaError?
        for target in targetOrder {
            let leader = target.leader
            switch responses[target]! {
            case .failure(let error as KafkaError) where Self.isTransient(error):
                transientError = error
            case .failure(let error):
                throw error
            case .success(let partitions):
                for data in partitions {
                    let partition = TopicPartition(topic: data.topic, partition: data.partition)
                    guard states[partition] != nil else { continue }
                    if data.errorCode.isRetriableAfterMetadataRefresh {
                        await client.forgetLeader(of: data.topic, partition: data.partition)
                        transientError = .broker(data.errorCode, api: .fetch, broker: leader, topic: data.topic, partition: data.partition)
                        continue
                    }
                    delivered += try await apply(data, from: leader, isolationLevel: target.isolationLevel, to: partition)
                }
            }
        }
        if let transientError {
            try await backOff(after: transientError)
        } else {
            failedPolls = 0
        }
        // A broker that answers at once with nothing (it ignores max wait) is not asked again
        // at once: no busy loop over an idle partition.
        if delivered.isEmpty, transientError == nil {
            try await Task.sleep(until: started + configuration.maxWait, clock: .continuous)
        }
        return delivered
    }

    /// Takes one partition's fetched data: delivers, advances, grows or pauses.
    private mutating func apply(_ data: FetchRequest.PartitionData, from leader: BrokerAddress, isolationLevel fetched: KafkaIsolationLevel,
                                to partition: TopicPartition) async throws -> [ConsumedRecord] {
        var state = states[partition]!
        defer { states[partition] = state }
        switch data.errorCode {
        case .none:
            break
        case .offsetOutOfRange where configuration.offsetReset != .fail:
            state.position = try await resolve(configuration.offsetReset == .earliest ? .earliest : .latest, for: partition)
            state.maxBytes = configuration.partitionMaxBytes
            return []
        case .offsetOutOfRange:
            throw KafkaError.broker(.offsetOutOfRange, api: .fetch, broker: leader, topic: partition.topic, partition: partition.partition,
                                    message: "position \(state.position) is not in the partition (deleted by retention?); records were lost — "
                                        + "ConsumerConfiguration.offsetReset can skip to the earliest or latest offset instead")
        default:
            throw KafkaError.broker(data.errorCode, api: .fetch, broker: leader, topic: partition.topic, partition: partition.partition)
        }
        state.highWatermark = data.highWatermark
        if fetched == .readCommitted {
            let stable = data.lastStableOffset >= 0 ? data.lastStableOffset : nil
            if stable != state.lastStableOffset { state.stableOffsetSince = .now }
            state.lastStableOffset = stable
        }

        var bytes = data.records
        let fetchedBytes = bytes.readableBytes
        let batches: [RecordBatch]
        do {
            batches = try RecordBatch.readAll(from: &bytes)
        } catch let error as KafkaProtocolError {
            throw KafkaError.protocolViolation(broker: leader, api: .fetch, .malformed("\(partition) at offset \(state.position): \(error)"))
        }

        let records: [KafkaRecord]
        let next: Int64
        let waiting: Bool
        if configuration.isolationLevel == .readCommitted {
            let filtered = try ReadCommittedFilter.filter(batches, abortedTransactions: data.abortedTransactions, fetchOffset: state.position)
            (records, next, waiting) = (filtered.records, filtered.nextOffset, filtered.isWaitingForMarker)
        } else {
            records = batches.filter { !$0.isControl }.flatMap(\.records).filter { $0.offset >= state.position }
            next = max(state.position, (batches.last?.lastOffset).map { $0 + 1 } ?? state.position)
            waiting = false
        }

        if configuration.isolationLevel == .readCommitted {
            if fetched == .readCommitted, let stable = state.lastStableOffset, stable < data.highWatermark {
                // The broker's committed view ends short of the partition's end, inside a
                // transaction whose marker the filter needs (a committed transaction interleaved
                // with one still open), or at an offset that has not moved for a while although
                // every transaction may have ended (Tansu 0.6 keeps such a stale last stable
                // offset for good: window tasks reading a repartition topic with six writers
                // stopped there). Fetching read_committed again would bring the same bytes, or
                // none, for ever; read on read_uncommitted — the filter decides by the markers
                // alone, so nothing uncommitted is delivered.
                let markerPastStable = waiting && (batches.last.map { $0.lastOffset + 1 >= stable } ?? false)
                let stuckAtStable = batches.isEmpty && state.position >= stable && ContinuousClock.now - state.stableOffsetSince >= configuration.staleStableOffsetTimeout
                if markerPastStable || stuckAtStable {
                    state.readsAhead = true
                    state.pausedUntil = nil
                    if next > state.position { state.position = next; state.maxBytes = configuration.partitionMaxBytes }
                    return records.map { ConsumedRecord(topicPartition: partition, record: $0) }
                }
            }
            // Back to the broker's committed view once nothing is held (a stale offset sends
            // the partition ahead again at the next fetch).
            if fetched == .readUncommitted, !waiting { state.readsAhead = false }
        }

        // More is in the partition than this fetch brought: it was cut at the byte limit.
        let wasCut = (fetchedBytes > 0 && batches.isEmpty) || (batches.last.map { data.highWatermark > $0.lastOffset + 1 } ?? false)
        if next > state.position {
            state.position = next
            state.maxBytes = configuration.partitionMaxBytes
            state.pausedUntil = waiting && !wasCut ? .now + configuration.maxWait : nil
        } else if wasCut && (waiting || batches.isEmpty) {
            // Nothing deliverable fits: a transaction without its marker (or one batch) fills
            // the whole fetch. Ask for more, or stop rather than fetch the same bytes forever.
            guard state.maxBytes < configuration.partitionMaxBytesLimit else {
                if state.readsAhead {
                    // Ahead of the broker's offset, a transaction that is really open fills
                    // the limit: wait for the broker to decide it instead.
                    state.readsAhead = false
                    state.maxBytes = configuration.partitionMaxBytes
                    state.stableOffsetSince = .now
                    state.pausedUntil = .now + configuration.maxWait
                    return records.map { ConsumedRecord(topicPartition: partition, record: $0) }
                }
                throw KafkaError.fetchLimitReached(broker: leader, topic: partition.topic, partition: partition.partition, offset: state.position, limit: state.maxBytes)
            }
            state.maxBytes = Int32(min(Int64(state.maxBytes) * 2, Int64(configuration.partitionMaxBytesLimit)))
        } else if waiting {
            state.pausedUntil = .now + configuration.maxWait
        }
        return records.map { ConsumedRecord(topicPartition: partition, record: $0) }
    }

    /// Whom one fetch request goes to, and at which isolation level.
    private struct FetchTarget: Hashable {
        var leader: BrokerAddress
        var isolationLevel: KafkaIsolationLevel
    }

    private static func isTransient(_ error: KafkaError) -> Bool {
        switch error {
        case .connectionClosed, .timedOut, .connectionFailed: true
        case .broker(let code, _, _, _, _, _): code.isRetriableAfterMetadataRefresh || code == .requestTimedOut
        default: false
        }
    }

    /// Counts a failed poll; throws `error` once there were too many in a row, else waits
    /// the backoff (doubling with each failure).
    private mutating func backOff(after error: KafkaError) async throws {
        failedPolls += 1
        guard failedPolls <= configuration.fetchRetries else { throw error }
        try await Task.sleep(for: configuration.retryBackoff * (1 << min(failedPolls - 1, 10)))
    }
}
