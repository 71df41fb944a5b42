import ArgumentParser
import Foundation
import NIOCore
import WeirKafka

/// `weir-kafka-bench`: the Kafka client against confluent-kafka (`client`, the default), and
/// the Kafka → window → Kafka pipeline exactly-once against at-least-once (`pipeline`).
@main
struct WeirKafkaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir-kafka-bench",
        abstract: "Kafka benchmarks against a running broker.",
        subcommands: [KafkaBench.self, PipelineBench.self],
        defaultSubcommand: KafkaBench.self)
}

/// WeirKafka's produce and fetch throughput on one partition of a running broker, next to
/// confluent-kafka's on the same broker in the same run.
struct KafkaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Produce and fetch throughput of WeirKafka against confluent-kafka, on the same broker.")

    @Option(help: "A broker, host:port (e.g. noida-db started as in BENCHMARKS.md).") var bootstrap: String
    @Option(help: "Records per measurement.") var records: Int = 500_000
    @Option(help: "Value size in bytes.") var size: Int = 100
    @Option(help: "Records per produced batch (WeirKafka).") var batch: Int = 1_000
    @Option(help: "Rounds; medians are reported.") var rounds: Int = 3
    @Option(help: "A Python with confluent-kafka (scripts/kafka-brokers.sh install DIR makes DIR/venv/bin/python).") var python: String
    @Option(help: "The confluent-kafka benchmark script.") var peer: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("../../Benchmarks/Peers/Kafka/confluent_bench.py").standardizedFileURL.path

    func run() async throws {
        let client = KafkaClient(bootstrap: [try BrokerAddress(bootstrap)])
        var weirProduce: [Double] = [], weirFetch: [Double] = [], peerProduce: [Double] = [], peerFetch: [Double] = []
        for round in 1...rounds {
            let topic = "weir-bench-\(UUID().uuidString.prefix(8))"
            try await client.createTopic(topic, partitions: 1)
            let (produced, fetched) = try await measureWeir(client, topic: topic)
            let peerTopic = topic + "-peer"
            try await client.createTopic(peerTopic, partitions: 1)
            let (peerProduced, peerFetched) = try measurePeer(topic: peerTopic)
            weirProduce.append(produced); weirFetch.append(fetched); peerProduce.append(peerProduced); peerFetch.append(peerFetched)
            FileHandle.standardError.write(Data("round \(round): produce WeirKafka \(Int(produced)) records/s, confluent-kafka \(Int(peerProduced)); fetch WeirKafka \(Int(fetched)), confluent-kafka \(Int(peerFetched))\n".utf8))
        }
        await client.close()
        let megabytes = Double(size) / 1e6
        func row(_ name: String, _ weir: [Double], _ peer: [Double]) -> String {
            let ratios = zip(weir, peer).map { $0 / $1 }
            return "| \(name) | \(Int(median(weir))) | \(String(format: "%.1f", median(weir) * megabytes)) | \(Int(median(peer))) | \(String(format: "%.1f", median(peer) * megabytes)) | \(String(format: "%.2f", median(ratios))) |"
        }
        print("")
        print("\(records) records of \(size) bytes, one partition, \(rounds) rounds (medians); WeirKafka batches of \(batch) records, acks=all, one request in flight")
        print("")
        print("| | WeirKafka records/s | MB/s | confluent-kafka records/s | MB/s | WeirKafka / confluent-kafka |")
        print("|---|---:|---:|---:|---:|---:|")
        print(row("produce", weirProduce, peerProduce))
        print(row("fetch (read_committed)", weirFetch, peerFetch))
    }

    /// Produces the records in batches, one request at a time, then reads them all back with a
    /// `KafkaConsumer` (read_committed).
    private func measureWeir(_ client: KafkaClient, topic: String) async throws -> (produce: Double, fetch: Double) {
        let value = ByteBuffer(repeating: UInt8(ascii: "x"), count: size)
        // Real timestamps: with records dated 0 (1970) noida-db answered a fetch at offset 0 with OFFSET_OUT_OF_RANGE (cause not established).
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        let started = ContinuousClock.now
        var sent = 0
        while sent < records {
            let count = min(batch, records - sent)
            let batch = RecordBatch(records: (0..<count).map { _ in KafkaRecord(timestamp: now, key: nil, value: value) })
            _ = try await client.produce(batch, topic: topic, partition: 0)
            sent += count
        }
        let produceSeconds = seconds(ContinuousClock.now - started)

        let fetchStarted = ContinuousClock.now
        var configuration = ConsumerConfiguration()
        configuration.maxWait = .milliseconds(100)
        var consumer = KafkaConsumer(client: client, configuration: configuration)
        try await consumer.assign([TopicPartition(topic: topic, partition: 0): .earliest])
        var read = 0
        while read < records {
            read += try await consumer.poll().count
        }
        return (Double(records) / produceSeconds, Double(records) / seconds(ContinuousClock.now - fetchStarted))
    }

    private func measurePeer(topic: String) throws -> (produce: Double, fetch: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [peer, bootstrap, topic, "\(records)", "\(size)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("the confluent-kafka benchmark failed with status \(process.terminationStatus)") }
        struct Seconds: Decodable { var produceSeconds: Double; var fetchSeconds: Double }
        let measured = try JSONDecoder().decode(Seconds.self, from: data)
        return (Double(records) / measured.produceSeconds, Double(records) / measured.fetchSeconds)
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// The middle value (the mean of the two middle ones for an even count).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
