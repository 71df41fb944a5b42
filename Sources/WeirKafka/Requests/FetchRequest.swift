import NIOCore

/// Reads record batches from partition leaders (versions 4–11: isolation level and the
/// aborted-transactions list, before the flexible encoding). No fetch sessions: every request
/// names its partitions (session id 0, epoch -1).
package struct FetchRequest: KafkaRequest {
    package typealias IsolationLevel = KafkaIsolationLevel

    package struct PartitionFetch: Sendable, Hashable {
        package var topic: String
        package var partition: Int32
        package var offset: Int64
        package var maxBytes: Int32

        package init(topic: String, partition: Int32, offset: Int64, maxBytes: Int32 = 1 << 20) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.maxBytes = maxBytes
        }
    }

    package struct AbortedTransaction: Sendable, Hashable {
        package var producerID: Int64
        package var firstOffset: Int64
    }

    package struct PartitionData: Sendable {
        package var topic: String
        package var partition: Int32
        package var errorCode: KafkaErrorCode
        package var highWatermark: Int64
        package var lastStableOffset: Int64
        package var logStartOffset: Int64
        /// What the broker says was aborted in the fetched range; some brokers leave it empty
        /// and only the abort markers in the log tell.
        package var abortedTransactions: [AbortedTransaction]
        package var records: ByteBuffer
    }

    package static let api = APIKey.fetch
    package static let versions: ClosedRange<Int16> = 4...11
    package static let firstFlexibleVersion: Int16? = nil

    package var partitions: [PartitionFetch]
    package var isolationLevel: IsolationLevel
    package var maxWait: Duration
    package var minBytes: Int32
    package var maxBytes: Int32

    package init(partitions: [PartitionFetch], isolationLevel: IsolationLevel = .readCommitted, maxWait: Duration = .milliseconds(500),
                minBytes: Int32 = 1, maxBytes: Int32 = 50 << 20) {
        self.partitions = partitions
        self.isolationLevel = isolationLevel
        self.maxWait = maxWait
        self.minBytes = minBytes
        self.maxBytes = maxBytes
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInteger(Int32(-1))  // replica_id: a consumer
        buffer.writeInteger(Int32(clamping: maxWait.wholeMilliseconds))
        buffer.writeInteger(minBytes)
        buffer.writeInteger(maxBytes)
        buffer.writeInteger(isolationLevel.rawValue)
        if version >= 7 {
            buffer.writeInteger(Int32(0))  // session_id
            buffer.writeInteger(Int32(-1))  // session_epoch: no session
        }
        buffer.writeGroupedByTopic(partitions, topic: \.topic) { buffer, fetch in
            buffer.writeInteger(fetch.partition)
            if version >= 9 { buffer.writeInteger(Int32(-1)) }  // current_leader_epoch: unknown
            buffer.writeInteger(fetch.offset)
            if version >= 5 { buffer.writeInteger(Int64(-1)) }  // log_start_offset: a consumer's is -1
            buffer.writeInteger(fetch.maxBytes)
        }
        if version >= 7 { buffer.writeInteger(Int32(0)) }  // forgotten_topics_data
        if version >= 11 { buffer.writeKafkaString("") }  // rack_id
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> [PartitionData] {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        if version >= 7 {
            let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
            guard code == .none else { throw KafkaProtocolError.malformed("fetch failed as a whole with \(code)") }
            _ = try buffer.readKafka("session_id", as: Int32.self)
        }
        var results: [PartitionData] = []
        for _ in 0..<(try buffer.readArrayCount("responses")) {
            let topic = try buffer.readKafkaString("topic") ?? ""
            for _ in 0..<(try buffer.readArrayCount("partitions")) {
                let partition: Int32 = try buffer.readKafka("partition_index")
                let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
                let highWatermark: Int64 = try buffer.readKafka("high_watermark")
                let lastStable: Int64 = try buffer.readKafka("last_stable_offset")
                let logStart: Int64 = version >= 5 ? try buffer.readKafka("log_start_offset") : -1
                var aborted: [AbortedTransaction] = []
                for _ in 0..<(try buffer.readArrayCount("aborted_transactions")) {
                    aborted.append(AbortedTransaction(producerID: try buffer.readKafka("producer_id"), firstOffset: try buffer.readKafka("first_offset")))
                }
                if version >= 11 { _ = try buffer.readKafka("preferred_read_replica", as: Int32.self) }
                let records = try buffer.readKafkaBytes("records") ?? ByteBuffer()
                results.append(PartitionData(topic: topic, partition: partition, errorCode: code, highWatermark: highWatermark,
                                             lastStableOffset: lastStable, logStartOffset: logStart, abortedTransactions: aborted, records: records))
            }
        }
        return results
    }
}
