/// What went wrong talking to Kafka, naming the broker, the request and, where there is one,
/// the topic and partition.
public enum KafkaError: Error, Sendable, CustomStringConvertible {
    /// No connection to `broker` after the configured attempts.
    case connectionFailed(broker: BrokerAddress, reason: String)
    /// The connection closed with requests in flight: the broker may or may not have acted on them.
    case connectionClosed(broker: BrokerAddress, api: APIKey)
    /// No response to an `api` request within the request timeout.
    case timedOut(broker: BrokerAddress, api: APIKey, after: Duration)
    /// The broker answered with an error code.
    case broker(KafkaErrorCode, api: APIKey, broker: BrokerAddress, topic: String? = nil, partition: Int32? = nil, message: String? = nil)
    /// A newer instance of the transactional id took over (its `InitProducerId` bumped the
    /// epoch): this one must stop; its transaction is the newer instance's to end.
    case fenced(transactionalID: String, producerEpoch: Int16, code: KafkaErrorCode, api: APIKey)
    /// Neither side has a version of `api` the other speaks.
    case noCommonVersion(api: APIKey, broker: BrokerAddress, brokerVersions: ClosedRange<Int16>?, clientVersions: ClosedRange<Int16>)
    /// A response that does not follow the protocol.
    case protocolViolation(broker: BrokerAddress, api: APIKey, KafkaProtocolError)
    /// The records at `offset` did not fit in the largest fetch the consumer may make
    /// (``ConsumerConfiguration/partitionMaxBytesLimit``) together with what decides them (a
    /// transaction's marker): reading on would mean fetching the same bytes forever.
    case fetchLimitReached(broker: BrokerAddress, topic: String, partition: Int32, offset: Int64, limit: Int32)
    /// A response bigger than the client accepts (``KafkaClientConfiguration/maxResponseSize``).
    case responseTooLarge(broker: BrokerAddress, size: Int, limit: Int)
    /// This member of consumer group `group` cannot go on (another process took its instance
    /// id, or the coordinator refused it).
    case groupMembership(group: String, reason: String)

    /// The broker, the request and what went wrong.
    public var description: String {
        switch self {
        case .connectionFailed(let broker, let reason): "cannot connect to Kafka broker \(broker): \(reason)"
        case .groupMembership(let group, let reason): "member of consumer group \(group): \(reason)"
        case .connectionClosed(let broker, let api): "the connection to Kafka broker \(broker) closed before the \(api) response came"
        case .timedOut(let broker, let api, let after): "no \(api) response from Kafka broker \(broker) within \(after)"
        case .broker(let code, let api, let broker, let topic, let partition, let message):
            "Kafka broker \(broker) answered \(api) with \(code)"
                + (topic.map { " for topic \($0)" } ?? "") + (partition.map { " partition \($0)" } ?? "")
                + (message.map { ": \($0)" } ?? "")
        case .fenced(let id, let epoch, let code, let api):
            "transactional id \(id) at epoch \(epoch) is fenced (\(code) on \(api)): a newer producer with this id has started"
        case .noCommonVersion(let api, let broker, let brokerVersions, let clientVersions):
            "Kafka broker \(broker) " + (brokerVersions.map { "speaks \(api) versions \($0.lowerBound)–\($0.upperBound)" } ?? "does not support \(api)")
                + "; Weir speaks \(clientVersions.lowerBound)–\(clientVersions.upperBound)"
        case .protocolViolation(let broker, let api, let error): "\(api) response from Kafka broker \(broker): \(error)"
        case .fetchLimitReached(let broker, let topic, let partition, let offset, let limit):
            "the records of topic \(topic) partition \(partition) at offset \(offset) (from Kafka broker \(broker)) do not fit in \(limit) bytes "
                + "together with their transaction's marker; raise ConsumerConfiguration.partitionMaxBytesLimit"
        case .responseTooLarge(let broker, let size, let limit): "Kafka broker \(broker) sent a response of \(size) bytes; the limit is \(limit)"
        }
    }
}

/// A broker's host and port.
public struct BrokerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The broker's host name or IP address.
    public var host: String
    /// The broker's port.
    public var port: Int
    /// The broker's node id, once metadata named it.
    public var nodeID: Int32?

    /// A broker at `host:port`.
    public init(host: String, port: Int, nodeID: Int32? = nil) {
        self.host = host
        self.port = port
        self.nodeID = nodeID
    }

    /// `host:port`.
    public init(_ text: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw KafkaError.connectionFailed(broker: BrokerAddress(host: text, port: 0), reason: "not host:port")
        }
        self.init(host: String(text[..<colon]), port: port)
    }

    /// `host:port`, and the node id once known.
    public var description: String { "\(host):\(port)" + (nodeID.map { " (node \($0))" } ?? "") }
}
