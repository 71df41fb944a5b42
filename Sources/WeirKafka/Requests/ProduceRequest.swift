import NIOCore

/// Writes record batches to partition leaders (versions 3–8: record batches v2, before the
/// flexible encoding).
package struct ProduceRequest: KafkaRequest {
    package struct PartitionData: Sendable {
        package var topic: String
        package var partition: Int32
        package var batch: RecordBatch

        package init(topic: String, partition: Int32, batch: RecordBatch) {
            self.topic = topic
            self.partition = partition
            self.batch = batch
        }
    }

    package struct PartitionResult: Sendable, Hashable {
        package var topic: String
        package var partition: Int32
        package var errorCode: KafkaErrorCode
        /// The offset the broker gave the batch's first record.
        package var baseOffset: Int64
        package var message: String?
    }

    package enum Acks: Int16, Sendable {
        case none = 0
        case leader = 1
        /// Required for idempotent and transactional producers.
        case all = -1
    }

    package static let api = APIKey.produce
    package static let versions: ClosedRange<Int16> = 3...8
    package static let firstFlexibleVersion: Int16? = nil

    package var transactionalID: String?
    package var acks: Acks
    package var timeout: Duration
    package let data: [PartitionData]
    /// The batches in wire format, encoded once when the request is made.
    private let encoded: [ByteBuffer]

    /// Encodes the batches: a batch that cannot be encoded fails here, before anything is sent.
    package init(data: [PartitionData], acks: Acks = .all, timeout: Duration = .seconds(30), transactionalID: String? = nil) throws {
        self.data = data
        self.acks = acks
        self.timeout = timeout
        self.transactionalID = transactionalID
        encoded = try data.map { partition in
            var buffer = ByteBuffer()
            try partition.batch.write(to: &buffer)
            return buffer
        }
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalID)
        buffer.writeInteger(acks.rawValue)
        buffer.writeInteger(Int32(clamping: timeout.wholeMilliseconds))
        buffer.writeGroupedByTopic(Array(zip(data, encoded)), topic: \.0.topic) { buffer, item in
            buffer.writeInteger(item.0.partition)
            buffer.writeKafkaBytes(item.1)
        }
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> [PartitionResult] {
        var results: [PartitionResult] = []
        for _ in 0..<(try buffer.readArrayCount("responses")) {
            let topic = try buffer.readKafkaString("topic name") ?? ""
            for _ in 0..<(try buffer.readArrayCount("partition_responses")) {
                let partition: Int32 = try buffer.readKafka("index")
                let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
                let baseOffset: Int64 = try buffer.readKafka("base_offset")
                _ = try buffer.readKafka("log_append_time_ms", as: Int64.self)
                if version >= 5 { _ = try buffer.readKafka("log_start_offset", as: Int64.self) }
                var message: String?
                if version >= 8 {
                    for _ in 0..<(try buffer.readArrayCount("record_errors")) {
                        _ = try buffer.readKafka("batch_index", as: Int32.self)
                        _ = try buffer.readKafkaString("batch_index_error_message")
                    }
                    message = try buffer.readKafkaString("error_message")
                }
                results.append(PartitionResult(topic: topic, partition: partition, errorCode: code, baseOffset: baseOffset, message: message))
            }
        }
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        return results
    }
}
