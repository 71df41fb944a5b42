import NIOCore

/// Creates topics (for tests and tooling; versions 2–4, before the flexible encoding).
package struct CreateTopicsRequest: KafkaRequest {
    package struct Topic: Sendable, Hashable {
        package var name: String
        package var partitions: Int32
        package var replicationFactor: Int16
        package var configs: [String: String]

        package init(name: String, partitions: Int32, replicationFactor: Int16 = 1, configs: [String: String] = [:]) {
            self.name = name
            self.partitions = partitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }
    }

    package struct Result: Sendable, Hashable {
        package var name: String
        package var errorCode: KafkaErrorCode
        package var message: String?
    }

    package static let api = APIKey.createTopics
    package static let versions: ClosedRange<Int16> = 2...4
    package static let firstFlexibleVersion: Int16? = nil

    package var topics: [Topic]
    package var timeout: Duration

    package init(topics: [Topic], timeout: Duration = .seconds(30)) {
        self.topics = topics
        self.timeout = timeout
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
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

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> [Result] {
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
