/// A client of one Kafka cluster: finds it through bootstrap brokers, keeps one connection per
/// broker (reconnecting with backoff when one is gone), knows partition leaders from
/// metadata and refreshes them when a broker says it is not the leader.
public actor KafkaClient {
    /// The settings every connection of the client uses.
    public let configuration: KafkaClientConfiguration
    private let bootstrap: [BrokerAddress]
    /// By "host:port".
    private var connections: [String: BrokerConnection] = [:]
    private var brokers: [Int32: BrokerAddress] = [:]
    private var leaders: [TopicPartition: Int32] = [:]

    /// A client that learns the cluster from the `bootstrap` brokers; it connects on first use.
    public init(bootstrap: [BrokerAddress], configuration: KafkaClientConfiguration = KafkaClientConfiguration()) {
        precondition(!bootstrap.isEmpty, "give at least one bootstrap broker")
        self.bootstrap = bootstrap
        self.configuration = configuration
    }

    /// Closes every connection.
    public func close() async {
        let open = connections.values
        connections.removeAll()
        for connection in open { await connection.close() }
    }

    // MARK: Connections

    /// The connection to `broker`, made (again) if there is none or it closed. Connecting
    /// retries with exponential backoff (`connectAttempts`, from `connectBackoff`).
    package func connection(to broker: BrokerAddress) async throws -> BrokerConnection {
        let key = "\(broker.host):\(broker.port)"
        if let existing = connections[key], existing.isActive { return existing }
        var backoff = configuration.connectBackoff
        var attempt = 1
        while true {
            do {
                let connection = try await BrokerConnection.connect(to: broker, configuration: configuration)
                if let raced = connections[key], raced.isActive {
                    await connection.close()
                    return raced
                }
                connections[key] = connection
                return connection
            } catch let error as KafkaError {
                guard attempt < configuration.connectAttempts, case .connectionFailed = error else { throw error }
                try await Task.sleep(for: backoff)
                backoff *= 2
                attempt += 1
            }
        }
    }

    /// A connection to any broker: a known one, else the bootstrap brokers in turn.
    package func anyConnection() async throws -> BrokerConnection {
        if let open = connections.values.first(where: \.isActive) { return open }
        var lastError: (any Error)?
        for broker in Array(brokers.values) + bootstrap {
            do { return try await connection(to: broker) } catch { lastError = error }
        }
        throw lastError ?? KafkaError.connectionFailed(broker: bootstrap[0], reason: "no broker reachable")
    }

    /// Sends `request` to `broker`; a connection that closes or times out is dropped so that
    /// the next request reconnects.
    package func send<Request: KafkaRequest>(_ request: Request, to broker: BrokerAddress, timeout: Duration? = nil) async throws -> Request.Response {
        let connection = try await connection(to: broker)
        do {
            return try await connection.send(request, timeout: timeout ?? configuration.requestTimeout)
        } catch let error as KafkaError {
            switch error {
            case .connectionClosed, .timedOut: connections["\(broker.host):\(broker.port)"] = nil
            default: break
            }
            throw error
        }
    }

    // MARK: Metadata

    /// Asks for `topics` (nil: all) and remembers brokers and leaders.
    @discardableResult
    package func refreshMetadata(topics: [String]?) async throws -> MetadataRequest.Response {
        let connection = try await anyConnection()
        let metadata = try await send(MetadataRequest(topics: topics), to: connection.broker)
        for broker in metadata.brokers { brokers[broker.nodeID] = broker.address }
        for topic in metadata.topics where topic.errorCode == .none {
            for partition in topic.partitions where partition.errorCode == .none {
                leaders[.init(topic: topic.name, partition: partition.index)] = partition.leaderID
            }
        }
        return metadata
    }

    /// The leader of a partition, from metadata (asked for when not known).
    package func leader(of topic: String, partition: Int32) async throws -> BrokerAddress {
        let key = TopicPartition(topic: topic, partition: partition)
        if let id = leaders[key], let broker = brokers[id] { return broker }
        let metadata = try await refreshMetadata(topics: [topic])
        if let described = metadata.topics.first(where: { $0.name == topic }), described.errorCode != .none {
            throw KafkaError.broker(described.errorCode, api: .metadata, broker: bootstrap[0], topic: topic)
        }
        guard let id = leaders[key], let broker = brokers[id] else {
            throw KafkaError.broker(.leaderNotAvailable, api: .metadata, broker: bootstrap[0], topic: topic, partition: partition)
        }
        return broker
    }

    /// Forgets a partition's leader after a broker said it is not (or no longer) the leader.
    package func forgetLeader(of topic: String, partition: Int32) {
        leaders[.init(topic: topic, partition: partition)] = nil
    }

    /// The coordinator of a consumer group or transactional id.
    package func coordinator(of key: String, type: FindCoordinatorRequest.KeyType) async throws -> BrokerAddress {
        let connection = try await anyConnection()
        let found = try await send(FindCoordinatorRequest(key: key, keyType: type), to: connection.broker)
        guard found.errorCode == .none else {
            throw KafkaError.broker(found.errorCode, api: .findCoordinator, broker: connection.broker, message: found.message ?? key)
        }
        return found.coordinator
    }

    // MARK: Topics

    /// Creates a topic; an existing one is not an error.
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16 = 1, configs: [String: String] = [:]) async throws {
        let connection = try await anyConnection()
        let results = try await send(CreateTopicsRequest(topics: [.init(name: name, partitions: partitions, replicationFactor: replicationFactor, configs: configs)]),
                                     to: connection.broker)
        for result in results where result.errorCode != .none && result.errorCode != .topicAlreadyExists {
            throw KafkaError.broker(result.errorCode, api: .createTopics, broker: connection.broker, topic: result.name, message: result.message)
        }
    }

    // MARK: Produce and fetch

    /// Writes one batch to a partition's leader and returns the offset of its first record.
    /// A leader that moved is looked up again and the batch retried (`leaderRetries` times);
    /// idempotent and transactional batches keep their sequence numbers, so the broker drops
    /// a duplicate of a batch it already has.
    package func produce(_ batch: RecordBatch, topic: String, partition: Int32, transactionalID: String? = nil, acks: ProduceRequest.Acks = .all) async throws -> Int64 {
        let request = try ProduceRequest(data: [.init(topic: topic, partition: partition, batch: batch)], acks: acks, transactionalID: transactionalID)
        var attempt = 0
        while true {
            let leader = try await leader(of: topic, partition: partition)
            let results = try await send(request, to: leader)
            guard let result = results.first(where: { $0.topic == topic && $0.partition == partition }) else {
                throw KafkaError.protocolViolation(broker: leader, api: .produce, .malformed("no result for \(topic)/\(partition)"))
            }
            if result.errorCode == .none { return result.baseOffset }
            if result.errorCode.isRetriableAfterMetadataRefresh && attempt < configuration.leaderRetries {
                forgetLeader(of: topic, partition: partition)
                attempt += 1
                try await Task.sleep(for: configuration.connectBackoff)
                continue
            }
            throw KafkaError.broker(result.errorCode, api: .produce, broker: leader, topic: topic, partition: partition, message: result.message)
        }
    }

    /// One fetch from a partition's leader.
    package func fetch(topic: String, partition: Int32, offset: Int64, isolationLevel: FetchRequest.IsolationLevel = .readCommitted,
                      maxWait: Duration = .milliseconds(500), maxBytes: Int32 = 1 << 20) async throws -> FetchRequest.PartitionData {
        let leader = try await leader(of: topic, partition: partition)
        let request = FetchRequest(partitions: [.init(topic: topic, partition: partition, offset: offset, maxBytes: maxBytes)], isolationLevel: isolationLevel, maxWait: maxWait)
        let results = try await send(request, to: leader, timeout: configuration.requestTimeout + maxWait)
        guard let data = results.first(where: { $0.topic == topic && $0.partition == partition }) else {
            throw KafkaError.protocolViolation(broker: leader, api: .fetch, .malformed("no data for \(topic)/\(partition)"))
        }
        if data.errorCode.isRetriableAfterMetadataRefresh { forgetLeader(of: topic, partition: partition) }
        guard data.errorCode == .none else { throw KafkaError.broker(data.errorCode, api: .fetch, broker: leader, topic: topic, partition: partition) }
        return data
    }

    /// The earliest, latest or first-at-timestamp offset of a partition.
    package func offset(of topic: String, partition: Int32, at position: ListOffsetsRequest.Position,
                       isolationLevel: FetchRequest.IsolationLevel = .readCommitted) async throws -> Int64 {
        let leader = try await leader(of: topic, partition: partition)
        let results = try await send(ListOffsetsRequest(queries: [.init(topic: topic, partition: partition, position: position)], isolationLevel: isolationLevel), to: leader)
        guard let result = results.first else { throw KafkaError.protocolViolation(broker: leader, api: .listOffsets, .malformed("no offset")) }
        guard result.errorCode == .none else { throw KafkaError.broker(result.errorCode, api: .listOffsets, broker: leader, topic: topic, partition: partition) }
        return result.offset
    }

    // MARK: Consumer group offsets

    /// Stores positions for `groupID` at its coordinator (for monitoring; Weir's checkpoints
    /// hold the positions that count).
    package func commitOffsets(_ offsets: [OffsetCommitRequest.PartitionOffset], groupID: String) async throws {
        let coordinator = try await coordinator(of: groupID, type: .group)
        let results = try await send(OffsetCommitRequest(groupID: groupID, offsets: offsets), to: coordinator)
        for result in results where result.errorCode != .none {
            throw KafkaError.broker(result.errorCode, api: .offsetCommit, broker: coordinator, topic: result.topic, partition: result.partition, message: "group \(groupID)")
        }
    }

    /// The positions stored for `groupID`; `nil` for a partition without one.
    public func committedOffsets(groupID: String, partitions: [TopicPartition]) async throws -> [TopicPartition: Int64] {
        let coordinator = try await coordinator(of: groupID, type: .group)
        let response = try await send(OffsetFetchRequest(groupID: groupID, partitions: partitions), to: coordinator)
        guard response.errorCode == .none else { throw KafkaError.broker(response.errorCode, api: .offsetFetch, broker: coordinator, message: "group \(groupID)") }
        var offsets: [TopicPartition: Int64] = [:]
        for offset in response.offsets {
            guard offset.errorCode == .none else {
                throw KafkaError.broker(offset.errorCode, api: .offsetFetch, broker: coordinator, topic: offset.topic, partition: offset.partition, message: "group \(groupID)")
            }
            if offset.offset >= 0 { offsets[TopicPartition(topic: offset.topic, partition: offset.partition)] = offset.offset }
        }
        return offsets
    }
}

