import ArgumentParser
import Foundation
import NIOCore
import WeirKafka

/// For crash tests of Kafka transactions: starts a transactional producer, writes records in
/// a transaction to one partition, flushes them (the pre-commit of Weir's Kafka sink), saves
/// the transaction's state as JSON, prints "pre-committed" and waits to be killed. A test then
/// ends the transaction from the saved state in another process.
@main
struct KafkaCrashTestProducer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir-kafka-crash-producer",
        abstract: "Writes a Kafka transaction, saves its state and waits to be killed (for crash tests).")

    @Option(help: "A bootstrap broker, host:port.") var bootstrap: String
    @Option var topic: String
    @Option var partition: Int32 = 0
    @Option(help: "The transactional id.") var transactionalID: String
    @Option(help: "Records to write; their values are PREFIX-0, PREFIX-1, ….") var records: Int = 10
    @Option(help: "Value prefix.") var prefix: String = "record"
    @Option(help: "Where the transaction's state goes (JSON, written atomically).") var stateFile: String

    func run() async throws {
        let client = KafkaClient(bootstrap: [try BrokerAddress(bootstrap)])
        let producer = try await TransactionalProducer.start(client: client, transactionalID: transactionalID)
        // Two batches, so that sequence numbers advance within the transaction.
        // Real timestamps: with records dated 0 (1970) noida-db answered a fetch at offset 0 with OFFSET_OUT_OF_RANGE (cause not established).
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        let all = (0..<records).map { KafkaRecord(timestamp: now + Int64($0), key: nil, value: ByteBuffer(string: "\(prefix)-\($0)")) }
        for chunk in stride(from: 0, to: all.count, by: max(1, all.count / 2)).map({ Array(all[$0..<min($0 + max(1, all.count / 2), all.count)]) }) {
            try await producer.send(chunk, topic: topic, partition: partition)
        }
        let state = await producer.state
        let temporary = stateFile + ".tmp"
        try JSONEncoder().encode(state).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, stateFile) == 0 else { throw ValidationError("cannot rename \(temporary) to \(stateFile)") }
        FileHandle.standardOutput.write(Data("pre-committed\n".utf8))  // unbuffered: the test waits for it
        while true { try await Task.sleep(for: .seconds(60)) }
    }
}
