import ArgumentParser
import Foundation
import Weir

/// `weir verify`: is the committed output of a `weir run` exactly the expected result?
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the committed output of a weir run against the expected result, computed without the engine.",
        discussion: """
            Recomputes every window sum from the run's seeded input (run.json), or from its Kafka input topic, \\
            and compares them with the committed output (the files, or the Kafka output topic read \\
            read_committed): prints "exactly-once: OK (N rows)", or the lost, duplicated and unexpected rows.

            Examples:
              weir verify
              weir verify --data-dir /tmp/run1
            """)

    @OptionGroup var data: DataDirectoryOption

    @Option(help: "How many lost, duplicated or unexpected rows to list.")
    var examples: Int = 10

    func run() throws {
        let parameters = try RunParameters.load(from: data.path)
        let expected: [WindowSum]
        if let kafka = parameters.kafka, let topic = kafka.inputTopic {
            let computed = try KafkaSupport.expectedWindowSums(kafka: kafka, topic: topic, windowMilliseconds: parameters.windowMilliseconds)
            if computed.badLines > 0 { print("note: \(computed.badLines) malformed input records left out, as --bad-lines skip does") }
            expected = computed.sums
        } else if let input = parameters.input {
            throw ValidationError("the run in '\(data.path)' read its events from '\(input)'; weir verify recomputes runs fed by the generator or by Kafka only")
        } else {
            expected = parameters.workload.expectedWindowSums(windowMilliseconds: parameters.windowMilliseconds)
        }
        let committed = try CommittedOutput.read(parameters, data: data).rows
        var counts: [WindowSum: Int] = [:]
        for row in committed { counts[row, default: 0] += 1 }
        let expectedSet = Set(expected)
        let lost = expected.filter { counts[$0] == nil }
        let duplicated = counts.filter { $0.value > 1 }.map(\.key).sorted { ($0.windowStart, $0.key) < ($1.windowStart, $1.key) }
        let unexpected = counts.keys.filter { !expectedSet.contains($0) }.sorted { ($0.windowStart, $0.key) < ($1.windowStart, $1.key) }
        if lost.isEmpty && duplicated.isEmpty && unexpected.isEmpty {
            print("exactly-once: OK (\(committed.count) rows)")
            return
        }
        print("exactly-once: FAILED — \(lost.count) rows lost, \(duplicated.count) duplicated, \(unexpected.count) unexpected (of \(expected.count) expected)")
        if duplicated.isEmpty && unexpected.isEmpty {
            print("rows are only missing: if the run was stopped or crashed, continue it with weir run --resume\(data.path == "./weir-data" ? "" : " --data-dir \(data.path)")")
        }
        for row in lost.prefix(examples) { print("  lost: \(row)") }
        for row in duplicated.prefix(examples) { print("  duplicated ×\(counts[row]!): \(row)") }
        for row in unexpected.prefix(examples) { print("  unexpected: \(row)") }
        throw ExitCode.failure
    }
}
