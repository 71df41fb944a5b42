import ArgumentParser
import Foundation
import Weir
import WeirReferenceJobs

/// `weir verify`: is the committed output of a `weir run` exactly the expected result?
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the committed output of a weir run against the expected result, computed without the engine.",
        discussion: """
            Recomputes every window sum from the run's seeded input (run.json), its input files, or its Kafka input topic, \
            and compares them with the committed output (the files, or the Kafka output topic read \
            read_committed): prints "exactly-once: OK (N rows)", or the lost, duplicated and unexpected rows.

            Examples:
              weir verify
              weir verify --data-dir /tmp/run1
            """)

    @OptionGroup var data: DataDirectoryOption

    @Option(help: "How many lost, duplicated or unexpected rows to list.")
    var examples: Int = 10

    /// The window sums of every line of the files in `input` (as `weir run --source files`
    /// reads them: regular files directly in the directory, hidden ones skipped).
    static func expectedWindowSums(input: String, windowMilliseconds: Int64, skipBadLines: Bool) throws -> (sums: [WindowSum], badLines: Int) {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: input) } catch {
            throw ValidationError("cannot read the run's input directory '\(input)': \(error.localizedDescription)")
        }
        var records: [StreamRecord<ReferenceEvent>] = []
        var bad = 0
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = input + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let text = String(decoding: try DurableFile.read(path), as: UTF8.self)
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
                if trimmed.isEmpty && line.endIndex == text.endIndex { continue }
                if let record = ReferenceEvent.parse(line: trimmed) { records.append(record) } else if skipBadLines { bad += 1 } else {
                    throw ValidationError("'\(path)' holds a malformed line (\"\(trimmed.prefix(100))\"), which the run would have failed on")
                }
            }
        }
        return (ReferenceWorkload.windowSums(of: records, windowMilliseconds: windowMilliseconds), bad)
    }

    func run() throws {
        let parameters = try RunParameters.load(from: data.path)
        let expected: [WindowSum]
        if let kafka = parameters.kafka, let topic = kafka.inputTopic {
            let computed = try KafkaSupport.expectedWindowSums(kafka: kafka, topic: topic, windowMilliseconds: parameters.windowMilliseconds)
            if computed.badLines > 0 { print("note: \(computed.badLines) malformed input records left out, as --bad-lines skip does") }
            expected = computed.sums
        } else if let input = parameters.input {
            let computed = try Self.expectedWindowSums(input: input, windowMilliseconds: parameters.windowMilliseconds, skipBadLines: parameters.badLines == "skip")
            if computed.badLines > 0 { print("note: \(computed.badLines) malformed input lines left out, as --bad-lines skip does") }
            expected = computed.sums
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
