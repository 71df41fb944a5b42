import ArgumentParser
import Foundation
import Weir
import WeirReferenceJobs
#if Kafka
import NIOCore
import WeirKafka
#endif

/// `weir produce`: fills a Kafka topic with the reference workload's events, the input of
/// `weir run --source kafka`.
struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Write the reference workload's events into a Kafka topic (CSV lines key,timestamp,value), for weir run --source kafka.",
        discussion: """
            Creates the topic if it does not exist and appends the seeded events, record i to partition \
            i mod the partition count (so the partitions advance through event time together), or with \
            --partition-by key each to its key's partition (the input of weir worker --co-partitioned). Needs a weir \
            built with --traits Kafka.

            Example:
              weir produce --kafka-bootstrap 127.0.0.1:9092 --topic weir-events --events 1000000
              weir run --source kafka --input-topic weir-events --sink kafka --output-topic weir-window-sums
              weir verify
            """)

    @Option(help: "A broker, host:port.") var kafkaBootstrap: String = "127.0.0.1:9092"
    @Option(help: "The topic to fill.") var topic: String = "weir-events"
    @Option(help: "Partitions of the topic, if it is created.") var partitions: Int32 = 4
    @Option(help: "Number of events.") var events: Int64 = 1_000_000
    @Option(help: "Number of distinct keys.") var keys: Int = 10_000
    @Option(help: "Events per second of event time.") var eventsPerSecond: Int64 = 100_000
    @Option(help: "Maximum out-of-orderness of event timestamps, in milliseconds.") var disorder: Int64 = 50
    @Option(help: "Seed of the generator.") var seed: UInt64 = 42
    @Option(help: "How events are dealt to partitions: round-robin (partitions advance through event time together) or key (all events of a key in one partition, by Kafka's default partitioner: the input weir worker needs).")
    var partitionBy: PartitionBy = .roundRobin

    enum PartitionBy: String, ExpressibleByArgument, CaseIterable {
        case roundRobin = "round-robin"
        case key
    }

    func validate() throws {
        guard events >= 0, keys > 0, eventsPerSecond > 0, disorder >= 0, partitions > 0 else {
            throw ValidationError("--events must not be negative; --keys, --events-per-second and --partitions must be positive; --disorder must not be negative")
        }
    }

    func run() throws {
        #if Kafka
        guard let broker = try? BrokerAddress(kafkaBootstrap) else { throw ValidationError("--kafka-bootstrap \(kafkaBootstrap) is not host:port") }
        let workload = ReferenceWorkload(events: events, keys: keys, eventsPerSecond: eventsPerSecond, disorderMilliseconds: disorder, seed: seed)
        let (topic, requested, byKey) = (self.topic, partitions, partitionBy == .key)
        let started = ContinuousClock.now
        let written = try awaitOnTaskThread {
            let client = KafkaClient(bootstrap: [broker])
            do {
                try await client.createTopic(topic, partitions: requested)
                let base = ProcessingClock.nowMilliseconds()
                // Kafka timestamps follow event time from now, so that no record dates from 1970.
                let records = workload.records.map {
                    KafkaRecord(timestamp: base + $0.timestamp, key: ByteBuffer(string: String($0.value.key)), value: ByteBuffer(string: ReferenceEvent.line($0)))
                }
                let count = try await byKey ? client.produce(partitioningByKey: records, to: topic) : client.produce(spreading: records, to: topic)
                await client.close()
                return count
            } catch {
                await client.close()
                throw error
            }
        }
        let seconds = Double((ContinuousClock.now - started).components.seconds) + Double((ContinuousClock.now - started).components.attoseconds) / 1e18
        print(String(format: "wrote %lld events to %@ (%lld partitions) at %@ in %.2f s", events, topic, written, kafkaBootstrap, seconds))
        #else
        throw KafkaSupport.missing
        #endif
    }
}
