import ArgumentParser
import Foundation
import Weir
import WeirReferenceJobs
#if Kafka
import NIOCore
import WeirKafka
#endif

/// The reference job's Kafka side: reading events from a topic, writing window sums into one,
/// and reading both back for `weir verify`. Built only with the `Kafka` trait (WeirKafka links
/// zlib); without it every entry point says how to get it.
enum KafkaSupport {
    #if Kafka
    static let isBuiltIn = true
    #else
    static let isBuiltIn = false
    #endif

    static let missing = ValidationError("this weir was built without Kafka support: build it with --traits Kafka (swift run -c release --traits Kafka weir …; needs Debian's zlib1g-dev)")

    /// The events of `topic` (CSV lines `key,timestamp,value`), read read_committed, with
    /// watermarks made per partition in the source (trailing each partition's event time by
    /// `disorder`; a partition silent for 5 s stops holding them back).
    static func events(_ env: StreamEnvironment, kafka: KafkaEndpoints, topic: String, disorder: Int64, skipBadLines: Bool, badLines: Counter) throws -> DataStream<ReferenceEvent> {
        #if Kafka
        var source = KafkaSource(bootstrap: [try broker(kafka)], topics: [topic], deserializer: ReferenceLineDeserializer(skipBadLines: skipBadLines, badLines: badLines))
        source.boundedness = kafka.follow ? .unbounded : .latestAtStart
        source.watermarks = WatermarkStrategy<StreamRecord<ReferenceEvent>>.boundedOutOfOrderness(.milliseconds(disorder))
            .withTimestampAssigner { $0.timestamp }
            .withIdleness(.seconds(5))
        return env.addSource(source, name: "Kafka").map(name: "Event") { $0.value }
        #else
        throw missing
        #endif
    }

    /// Writes the window sums into `topic` as CSV lines keyed by the key: in transactions
    /// committed with the checkpoints (`exactlyOnce`), or flushed at them.
    static func write(_ sums: DataStream<WindowSum>, kafka: KafkaEndpoints, topic: String, exactlyOnce: Bool, partitions: Int,
                      options: TwoPhaseCommitOptions = TwoPhaseCommitOptions()) throws {
        #if Kafka
        // A missing output topic is created, one partition per subtask.
        let address = try broker(kafka)
        try awaitOnTaskThread {
            let client = KafkaClient(bootstrap: [address])
            defer { Task { await client.close() } }
            try await client.createTopic(topic, partitions: Int32(partitions))
        }
        var sink = KafkaSink(bootstrap: [address], topic: topic, serializer: KafkaClosureSerializer { (sum: WindowSum) in
            // Event time starts in 1970 here; the record gets the time of writing.
            KafkaProducerRecord(key: ByteBuffer(string: String(sum.key)), value: ByteBuffer(string: sum.csvLine),
                                timestamp: ProcessingClock.nowMilliseconds())
        }, guarantee: exactlyOnce ? .exactlyOnce : .atLeastOnce)
        sink.transactionalIDPrefix = "weir-reference-\(topic)"
        sums.sink(sink, name: "Kafka", options: options)
        #else
        throw missing
        #endif
    }

    /// The window sums committed in `topic` (read_committed, every partition to its end).
    static func committedWindowSums(kafka: KafkaEndpoints, topic: String) throws -> [WindowSum] {
        try lines(kafka: kafka, topic: topic).enumerated().map { number, line in
            guard let row = WindowSum(csvLine: line) else {
                throw ValidationError("record \(number + 1) of Kafka topic \(topic) is not a window sum (key,windowStart,windowEnd,sum,count): \(line)")
            }
            return row
        }
    }

    /// The window sums of the events in `topic`, computed without the engine.
    static func expectedWindowSums(kafka: KafkaEndpoints, topic: String, windowMilliseconds: Int64) throws -> (sums: [WindowSum], badLines: Int) {
        var events: [StreamRecord<ReferenceEvent>] = []
        var badLines = 0
        for line in try lines(kafka: kafka, topic: topic) {
            if let event = RunCommand.parse(line) { events.append(event) } else { badLines += 1 }
        }
        return (ReferenceWorkload.windowSums(of: events, windowMilliseconds: windowMilliseconds), badLines)
    }

    /// Every value of `topic` as text, read read_committed until each partition's end.
    private static func lines(kafka: KafkaEndpoints, topic: String) throws -> [String] {
        #if Kafka
        let address = try broker(kafka)
        return try awaitOnTaskThread {
            let client = KafkaClient(bootstrap: [address])
            do {
                let metadata = try await client.refreshMetadata(topics: [topic])
                guard let described = metadata.topics.first(where: { $0.name == topic }), described.errorCode == .none else {
                    throw ValidationError("Kafka topic \(topic) does not exist at \(address)")
                }
                let partitions = described.partitions.map { TopicPartition(topic: topic, partition: $0.index) }
                var configuration = ConsumerConfiguration()
                configuration.maxWait = .milliseconds(100)
                var consumer = KafkaConsumer(client: client, configuration: configuration)
                try await consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, StartPosition.earliest) }))
                var values: [String] = []
                while true {
                    let polled = try await consumer.poll()
                    values += polled.map { $0.record.value.map { String(buffer: $0) } ?? "" }
                    if polled.isEmpty, partitions.allSatisfy({ consumer.lag(of: $0) == 0 }) { break }
                }
                await client.close()
                return values
            } catch {
                await client.close()
                throw error
            }
        }
        #else
        throw missing
        #endif
    }

    #if Kafka
    /// A line of the input topic as an event with its event time; a malformed line fails the
    /// job, or is skipped and counted.
    struct ReferenceLineDeserializer: KafkaRecordDeserializer {
        let skipBadLines: Bool
        let badLines: Counter

        func deserialize(_ record: ConsumedRecord) throws -> StreamRecord<ReferenceEvent>? {
            let line = record.record.value.map { String(buffer: $0) } ?? ""
            return try RunCommand.parse(line, skipBadLines: skipBadLines, badLines: badLines).first
        }
    }

    private static func broker(_ kafka: KafkaEndpoints) throws -> BrokerAddress {
        do { return try BrokerAddress(kafka.bootstrap) } catch {
            throw ValidationError("--kafka-bootstrap \(kafka.bootstrap) is not host:port")
        }
    }
    #endif
}
