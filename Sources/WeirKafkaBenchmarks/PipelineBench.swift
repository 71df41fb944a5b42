import ArgumentParser
import Foundation
import NIOCore
import Weir
import WeirKafka
import WeirReferenceJobs

/// The seed's pipeline — Kafka (watermarks per partition) → keyBy → tumbling event-time
/// window sum → Kafka — with the exactly-once sink and with the at-least-once sink, alternately
/// in the same run, on the same input topic; the ratio is what exactly-once costs.
struct PipelineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Kafka → window → Kafka throughput, exactly-once next to at-least-once.")

    @Option(help: "A broker, host:port.") var bootstrap: String
    @Option(help: "Events in the input topic.") var events: Int64 = 2_000_000
    @Option(help: "Distinct keys.") var keys: Int = 10_000
    @Option(help: "Partitions of the input topic.") var partitions: Int32 = 4
    @Option(help: "Parallelism of the job.") var parallelism: Int = 2
    @Option(help: "Checkpoint interval in milliseconds.") var interval: Int = 1_000
    @Option(help: "Rounds (each runs both guarantees); medians are reported.") var rounds: Int = 3

    func run() async throws {
        let broker = try BrokerAddress(bootstrap)
        let client = KafkaClient(bootstrap: [broker])
        let workload = ReferenceWorkload(events: events, keys: keys)
        let input = "weir-pipeline-in-\(UUID().uuidString.prefix(8))"
        try await client.createTopic(input, partitions: partitions)
        let base = ProcessingClock.nowMilliseconds()
        try await client.produce(spreading: workload.records.map {
            KafkaRecord(timestamp: base + $0.timestamp, key: ByteBuffer(string: String($0.value.key)), value: ByteBuffer(string: ReferenceEvent.line($0)))
        }, to: input)
        let expectedRows = workload.expectedWindowSums().count
        FileHandle.standardError.write(Data("input: \(events) events in \(input) (\(partitions) partitions); \(expectedRows) window sums expected\n".utf8))

        var exactlyOnce: [Double] = [], atLeastOnce: [Double] = []
        for round in 1...rounds {
            // Alternate which goes first, so that neither always meets a warmer broker.
            let order: [DeliveryGuarantee] = round % 2 == 1 ? [.exactlyOnce, .atLeastOnce] : [.atLeastOnce, .exactlyOnce]
            for guarantee in order {
                let output = "weir-pipeline-out-\(UUID().uuidString.prefix(8))"
                try await client.createTopic(output, partitions: Int32(parallelism))
                let seconds = try await runJob(broker: broker, input: input, output: output, guarantee: guarantee)
                let rows = try await committedCount(client, topic: output)
                guard rows >= expectedRows, guarantee != .exactlyOnce || rows == expectedRows else {
                    throw ValidationError("\(guarantee) round \(round): \(rows) window sums committed, \(expectedRows) expected")
                }
                let rate = Double(events) / seconds
                if guarantee == .exactlyOnce { exactlyOnce.append(rate) } else { atLeastOnce.append(rate) }
                FileHandle.standardError.write(Data("round \(round) \(guarantee): \(Int(rate)) events/s (\(String(format: "%.2f", seconds)) s), \(rows) rows\n".utf8))
            }
        }
        await client.close()
        let ratios = zip(exactlyOnce, atLeastOnce).map { $0 / $1 }
        print("")
        print("\(events) events, \(keys) keys, 1 s windows, \(partitions) input partitions, parallelism \(parallelism), checkpoints every \(interval) ms, \(rounds) rounds (medians)")
        print("")
        print("| | events/s | exactly-once / at-least-once |")
        print("|---|---:|---:|")
        print("| exactly-once (transactions) | \(Int(median(exactlyOnce))) | \(String(format: "%.2f", median(ratios))) (rounds: \(ratios.map { String(format: "%.2f", $0) }.joined(separator: ", "))) |")
        print("| at-least-once (flush at checkpoints) | \(Int(median(atLeastOnce))) | |")
    }

    /// Runs the job once; its run time in seconds.
    private func runJob(broker: BrokerAddress, input: String, output: String, guarantee: DeliveryGuarantee) async throws -> Double {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-pipeline-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let env = StreamEnvironment(parallelism: parallelism)
        var checkpoints = CheckpointConfiguration(directory: directory, interval: .milliseconds(interval))
        checkpoints.mode = guarantee == .exactlyOnce ? .exactlyOnce : .atLeastOnce
        env.checkpointing = checkpoints
        var source = KafkaSource(bootstrap: [broker], topics: [input], deserializer: EventLineDeserializer())
        source.boundedness = .latestAtStart
        // Watermarks per partition, 50 ms out of order, as `weir run --source kafka` makes them.
        source.watermarks = WatermarkStrategy<StreamRecord<ReferenceEvent>>.boundedOutOfOrderness(.milliseconds(50)).withTimestampAssigner { $0.timestamp }
        let sink = KafkaSink(bootstrap: [broker], topic: output, serializer: KafkaClosureSerializer { (sum: WindowSum) in
            KafkaProducerRecord(key: ByteBuffer(string: String(sum.key)), value: ByteBuffer(string: "\(sum.key),\(sum.windowStart),\(sum.windowEnd),\(sum.sum),\(sum.count)"),
                                timestamp: ProcessingClock.nowMilliseconds())
        }, guarantee: guarantee)
        env.addSource(source, name: "KafkaIn")
            .map(name: "Event") { $0.value }
            .keyBy { $0.key }
            .window(.tumbling(size: .seconds(1)))
            .aggregate(name: "WindowSum", SumAggregate()) { key, window, total in
                WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
            }
            .sink(sink, name: "KafkaOut")
        let result = try await env.execute("kafka-pipeline-bench")
        return result.durationSeconds
    }

    private func committedCount(_ client: KafkaClient, topic: String) async throws -> Int {
        var configuration = ConsumerConfiguration()
        configuration.maxWait = .milliseconds(50)
        var consumer = KafkaConsumer(client: client, configuration: configuration)
        let all = (0..<Int32(parallelism)).map { TopicPartition(topic: topic, partition: $0) }
        try await consumer.assign(Dictionary(uniqueKeysWithValues: all.map { ($0, StartPosition.earliest) }))
        var count = 0
        while true {
            let polled = try await consumer.poll()
            count += polled.count
            if polled.isEmpty, all.allSatisfy({ consumer.lag(of: $0) == 0 }) { return count }
        }
    }
}

/// A line `key,timestamp,value` of the input topic as an event with its event time.
private struct EventLineDeserializer: KafkaRecordDeserializer {
    struct Malformed: Error, CustomStringConvertible {
        var line: String
        var description: String { "not an event line (key,timestamp,value): \(line)" }
    }

    func deserialize(_ record: ConsumedRecord) throws -> StreamRecord<ReferenceEvent>? {
        let line = record.record.value.map { String(buffer: $0) } ?? ""
        guard let event = ReferenceEvent.parse(line: line) else { throw Malformed(line: line) }
        return event
    }
}
