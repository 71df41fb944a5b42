import ArgumentParser
import Foundation

/// `weir-bench incremental`: what a checkpoint costs when the changed state stays the same and
/// the whole state grows. A running sum first gets one event for each of `keys` keys (a child
/// that ends with its final checkpoint), then a second child resumes and sends `updates` events
/// to only `hot-keys` of them — every checkpoint interval changes about the same state however
/// many keys there are. The second child's checkpoints are measured, without its first (after a
/// restore the RocksDB instance is new, so that one uploads everything) and the final.
struct GrowingState: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incremental",
        abstract: "Checkpoints of a fixed changed state as the whole state grows: heap, RocksDB full, RocksDB incremental (weir-bench built with --traits RocksDB).")

    @Option(help: "Whole-state key counts, comma-separated.") var keys: String = "1000000,4000000,16000000"
    @Option(help: "The keys the updates go to.") var hotKeys: Int = 100_000
    @Option(help: "Update events after the keys are populated.") var updates: Int64 = 30_000_000
    @Option(help: "Parallelism.") var parallelism: Int = 2
    @Option(help: "Milliseconds between checkpoints.") var checkpointInterval: Int = 500
    @Option(help: "RocksDB's cache of decoded values per state table, in entries.") var cachedEntries: Int = 16_384
    @Option(help: "Backends, comma-separated: heap, rocksdb-full, rocksdb.") var backends: String = "heap,rocksdb-full,rocksdb"

    func run() throws {
        #if !RocksDB
        throw ValidationError("weir-bench was built without RocksDB: swift run -c release --traits RocksDB weir-bench incremental")
        #else
        let keyCounts = try keys.split(separator: ",").map { value -> Int in
            guard let count = Int(value), count > hotKeys else { throw ValidationError("--keys: '\(value)' is not a number above --hot-keys (\(hotKeys))") }
            return count
        }
        let kinds = try BenchBackend.parse(backends, cacheSizes: [cachedEntries])
        emit("| keys (whole state) | backend | state size | checkpoints measured | checkpoint median / max | written per checkpoint (median) | update events/s (after the restore) | restore: first result after | peak RSS |")
        emit("|---|---|---|---|---|---|---|---|---|")
        for count in keyCounts {
            for backend in kinds {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-bench-incremental-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let arguments = ["state-single", "--job", "running-sum", "--backend", backend, "--keys", "\(count)", "--hot-keys", "\(hotKeys)",
                                 "--parallelism", "\(parallelism)", "--directory", directory, "--checkpoint-interval", "\(checkpointInterval)"]
                // One input of count + updates events: the first child stops (a final checkpoint,
                // the input not ended) once it has generated the keys, the second goes on.
                let input = ["--events", "\(Int64(count) + updates)"]
                _ = try StateSingle.child(arguments + input + ["--stop-at", "\(count)"])
                let updated = try StateSingle.child(arguments + input + ["--resume"])
                // Not the first (a new instance uploads all its files) nor the final one.
                let measured = Array(updated.checkpointMilliseconds.indices.dropFirst().dropLast())
                let durations = measured.map { Double(updated.checkpointMilliseconds[$0]) }
                let written = measured.map { Double(updated.checkpointedSizes[$0]) }
                let whole = updated.stateSizes.map(Double.init)
                emit("| \(count) | \(BenchBackend.label(backend)) | \(whole.isEmpty ? "–" : String(format: "%.0f MB", median(whole) / 1e6)) | \(measured.count) "
                      + "| \(durations.isEmpty ? "–" : String(format: "%.0f / %.0f ms", median(durations), durations.max()!)) "
                      + "| \(written.isEmpty ? "–" : String(format: "%.1f MB", median(written) / 1e6)) "
                      + "| \(format(Double(updates) / (updated.processingSeconds ?? .nan))) | \(updated.firstResultSeconds.map { String(format: "%.2f s", $0) } ?? "–") "
                      + "| \(updated.peakRSSKilobytes / 1024) MB |")
            }
        }
        #endif
    }
}

/// One line of the table, written at once (not buffered): a long run is read as it goes.
private func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
