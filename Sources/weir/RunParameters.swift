import ArgumentParser
import Foundation
import Weir
import WeirReferenceJobs

/// What `weir run` was started with, kept in `<data-dir>/run.json` so that `--resume` and
/// `weir verify` use the same job.
struct RunParameters: Codable, Equatable {
    var events: Int64
    var keys: Int
    var eventsPerSecond: Int64
    var windowMilliseconds: Int64
    var disorderMilliseconds: Int64
    var seed: UInt64
    /// The input directory of a file-fed run (`nil`: the generator, or Kafka).
    var input: String?
    /// A file-fed run: what a malformed line does (`skip` or `fail`), kept for `--resume` and
    /// `weir verify`.
    var badLines: String?
    /// Where a run that reads or writes Kafka does so (`nil`: no Kafka).
    var kafka: KafkaEndpoints?
    /// Where a run with `--sink postgres` writes (`nil`: another sink).
    var postgres: PostgresOutput?
    /// Where the run's checkpoints are (`nil` in run.json files of earlier versions: the
    /// data directory's `checkpoints`, or `--checkpoint-dir`).
    var checkpoints: StorageLocation?
    /// Where a run with `--sink s3` writes (`nil`: another sink).
    var s3Output: StorageLocation?

    var workload: ReferenceWorkload {
        ReferenceWorkload(events: events, keys: keys, eventsPerSecond: eventsPerSecond, disorderMilliseconds: disorderMilliseconds, seed: seed)
    }

    static func path(in dataDirectory: String) -> String { dataDirectory + "/run.json" }

    static func load(from dataDirectory: String) throws -> RunParameters {
        let path = path(in: dataDirectory)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("'\(dataDirectory)' holds no weir run (no run.json); start one with: weir run --data-dir \(dataDirectory)")
        }
        do { return try JSONDecoder().decode(RunParameters.self, from: data) } catch {
            throw ValidationError("'\(path)' is not readable: \(error)")
        }
    }

    func save(in dataDirectory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try DurableFile.write(Array(try encoder.encode(self)), to: Self.path(in: dataDirectory))
    }
}

/// The Kafka side of a run: the broker, and the topics it reads (`--source kafka`) and writes
/// (`--sink kafka`).
struct KafkaEndpoints: Codable, Equatable {
    var bootstrap: String
    var inputTopic: String?
    var outputTopic: String?
    /// Keep reading new input (an unbounded job) instead of stopping at the input's end at start.
    var follow: Bool
}

/// Where `weir run` keeps its data.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Where the run keeps its checkpoints, its output and run.json.")
    var path: String = "./weir-data"

    var checkpoints: String { path + "/checkpoints" }
    var output: String { path + "/output" }
}

/// The committed rows of the reference job's output: its files (hidden in-progress files are
/// not), or its Kafka topic read read_committed.
enum CommittedOutput {
    /// The rows of the run described by `parameters`, and where they were read.
    static func read(_ parameters: RunParameters, data: DataDirectoryOption) throws -> (rows: [WindowSum], place: String) {
        if let s3Output = parameters.s3Output {
            return (try S3Support.committedWindowSums(s3Output), s3Output.location)
        }
        if let postgres = parameters.postgres {
            return (try PostgresSupport.committedWindowSums(postgres), "PostgreSQL table \(postgres.table)")
        }
        if let kafka = parameters.kafka, let topic = kafka.outputTopic {
            return (try KafkaSupport.committedWindowSums(kafka: kafka, topic: topic), "Kafka topic \(topic) at \(kafka.bootstrap)")
        }
        return (try read(data.output), data.output)
    }

    static func read(_ directory: String) throws -> [WindowSum] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw ValidationError("cannot read the output directory '\(directory)': \(error.localizedDescription)")
        }
        var rows: [WindowSum] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let text = String(decoding: try DurableFile.read(directory + "/" + name), as: UTF8.self)
            for (number, line) in text.split(separator: "\n").enumerated() {
                guard let row = WindowSum(csvLine: line) else {
                    throw ValidationError("'\(directory)/\(name)' line \(number + 1) is not a window sum (key,windowStart,windowEnd,sum,count): \(line)")
                }
                rows.append(row)
            }
        }
        return rows
    }
}
