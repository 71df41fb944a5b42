import ArgumentParser
import Foundation
import Weir

/// What `weir run` was started with, kept in `<data-dir>/run.json` so that `--resume` and
/// `weir verify` use the same job.
struct RunParameters: Codable, Equatable {
    var events: Int64
    var keys: Int
    var eventsPerSecond: Int64
    var windowMilliseconds: Int64
    var disorderMilliseconds: Int64
    var seed: UInt64
    /// The input directory of a file-fed run (`nil`: the generator).
    var input: String?

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

/// Where `weir run` keeps its data.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Where the run keeps its checkpoints, its output and run.json.")
    var path: String = "./weir-data"

    var checkpoints: String { path + "/checkpoints" }
    var output: String { path + "/output" }
}

/// The committed rows of the reference job's file output (hidden in-progress files are not).
enum CommittedOutput {
    static func read(_ directory: String) throws -> [WindowSum] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw ValidationError("cannot read the output directory '\(directory)': \(error.localizedDescription)")
        }
        var rows: [WindowSum] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let text = String(decoding: try DurableFile.read(directory + "/" + name), as: UTF8.self)
            for (number, line) in text.split(separator: "\n").enumerated() {
                let fields = line.split(separator: ",").compactMap { Int64($0) }
                guard fields.count == 5 else {
                    throw ValidationError("'\(directory)/\(name)' line \(number + 1) is not a window sum (key,windowStart,windowEnd,sum,count): \(line)")
                }
                rows.append(WindowSum(key: Int(fields[0]), windowStart: fields[1], windowEnd: fields[2], sum: fields[3], count: fields[4]))
            }
        }
        return rows
    }
}
