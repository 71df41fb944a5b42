import NIOCore

/// Creates topics (for tests and tooling; versions 2–4, before the flexible encoding).
public struct CreateTopicsRequest: KafkaRequest {
    public struct Topic: Sendable, Hashable {
        public var name: String
        public var partitions: Int32
        public var replicationFactor: Int16
        public var configs: [String: String]

        public init(name: String, partitions: Int32, replicationFactor: Int16 = 1, configs: [String: String] = [:]) {
            self.name = name
            self.partitions = partitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }
    }

    public struct Result: Sendable, Hashable {
        public var name: String
        public var errorCode: KafkaErrorCode
        public var message: String?
    }

    public static let api = APIKey.createTopics
    public static let versions: ClosedRange<Int16> = 2...4
    public static let firstFlexibleVersion: Int16? = nil

    public var topics: [Topic]
    public var timeout: Duration

    public init(topics: [Topic], timeout: Duration = .seconds(30)) {
        self.topics = topics
        self.timeout = timeout
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInteger(Int32(topics.count))
        for topic in topics {
            buffer.writeKafkaString(topic.name)
            buffer.writeInteger(topic.partitions)
            buffer.writeInteger(topic.replicationFactor)
            buffer.writeInteger(Int32(0))  // assignments: none, the broker assigns
            buffer.writeInteger(Int32(topic.configs.count))
            for (name, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                buffer.writeKafkaString(name)
                buffer.writeKafkaString(value)
            }
        }
        buffer.writeInteger(Int32(clamping: timeout.wholeMilliseconds))
        buffer.writeInteger(UInt8(0))  // validate_only
    }

    public static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> [Result] {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        var results: [Result] = []
        for _ in 0..<(try buffer.readArrayCount("topics")) {
            let name = try buffer.readKafkaString("name") ?? ""
            let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
            let message = try buffer.readKafkaString("error_message")
            results.append(Result(name: name, errorCode: code, message: message))
        }
        return results
    }
}
