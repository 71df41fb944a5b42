import ArgumentParser
import Foundation
import Weir
import WeirReferenceJobs
#if RocksDB
import WeirRocksDB
#endif

/// `weir-bench state`: the heap and the RocksDB state backend on the same checkpointed jobs with
/// growing numbers of keys, each run in its own child process (alternating backends), then a
/// second child that resumes from the run's latest checkpoint (the restore).
struct StateBackends: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Heap against RocksDB: throughput, peak RSS, checkpoint duration and size, restore (weir-bench built with --traits RocksDB).")

    @Option(help: "Key counts, comma-separated.") var keys: String = "1000000,10000000"
    @Option(help: "Events per key for the running sum (the window job gets as many, two per key per window).") var eventsPerKey: Int = 6
    @Option(help: "Rounds; each runs every backend once, in turn.") var rounds: Int = 1
    @Option(help: "Parallelism.") var parallelism: Int = 2
    @Option(help: "Milliseconds between checkpoints (a full checkpoint longer than this starts the next at once).") var checkpointInterval: Int = 1_000
    @Option(help: "RocksDB's write buffer (memtable) per instance, in MiB.") var writeBufferMib: Int = 16
    @Option(help: "Jobs: running-sum, window.") var jobs: String = "running-sum,window"
    @Option(help: "RocksDB's cache of decoded values per state table, in entries; several (comma-separated) measure each.") var cachedEntries: String = "16384"
    @Option(help: "Backends, comma-separated: heap, rocksdb-full (full checkpoints), rocksdb (incremental checkpoints), flink (Flink 2.3 with its RocksDB backend, incremental checkpoints), flink-hashmap (Flink's heap backend).") var backends: String = "heap,rocksdb-full,rocksdb,flink"
    @Option(help: "The Flink peer's script (for the flink backends).") var flink: String = VersusFlink.defaultFlinkScript

    func run() throws {
        #if !RocksDB
        throw ValidationError("weir-bench was built without RocksDB: swift run -c release --traits RocksDB weir-bench state")
        #else
        let cacheSizes = try cachedEntries.split(separator: ",").map { value -> Int in
            guard let size = Int(value), size > 0 else { throw ValidationError("--cached-entries: '\(value)' is not a positive number") }
            return size
        }
        let keyCounts = try keys.split(separator: ",").map { value -> Int in
            guard let count = Int(value), count > 0 else { throw ValidationError("--keys: '\(value)' is not a positive number") }
            return count
        }
        let kinds = try BenchBackend.parse(backends, cacheSizes: cacheSizes)
        if kinds.contains(where: BenchBackend.isFlink) {
            guard FileManager.default.isExecutableFile(atPath: flink) else { throw ValidationError("no Flink peer script at \(flink); give --flink PATH") }
            try FlinkPeer.setUp(flink)
        }
        print("| job | keys | backend | events/s | peak RSS | checkpoints (with the final) | checkpoint median / max | state size (largest) | written per checkpoint (median / largest) | restore from the final checkpoint: first result after |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for job in jobs.split(separator: ",").map(String.init) {
            guard ["running-sum", "window"].contains(job) else { throw ValidationError("--jobs: '\(job)' is not running-sum or window") }
            for count in keyCounts {
                let backends = kinds
                var rows: [String: [StateMeasurement]] = [:]
                var failures: [String: String] = [:]
                for _ in 0..<rounds {
                    for backend in backends where failures[backend] == nil {
                        // A backend that cannot hold the state (the heap's checkpoints time out, or
                        // it runs out of memory) fails its row, not the whole table.
                        do {
                            rows[backend, default: []].append(try measure(job: job, backend: backend, keys: count))
                        } catch {
                            failures[backend] = "\(error)"
                            FileHandle.standardError.write(Data("\(job), \(count) keys, \(BenchBackend.label(backend)): failed: \(error)\n".utf8))
                        }
                    }
                }
                for backend in backends {
                    guard let runs = rows[backend], failures[backend] == nil else {
                        print("| \(job) | \(count) | \(BenchBackend.label(backend)) | failed: \(failures[backend] ?? "no run") | | | | | | |")
                        continue
                    }
                    let best = runs.sorted { $0.eventsPerSecond < $1.eventsPerSecond }[runs.count / 2]
                    let durations = best.checkpointMilliseconds.map(Double.init)
                    let written = best.checkpointedSizes.map(Double.init)
                    print("| \(job) | \(count) | \(BenchBackend.label(backend)) | \(format(median(runs.map(\.eventsPerSecond)))) | \(best.peakRSSKilobytes / 1024) MB | \(durations.count) "
                          + "| \(durations.isEmpty ? "–" : String(format: "%.0f / %.0f ms", median(durations), durations.max()!)) "
                          + "| \(String(format: "%.1f MB", Double(best.largestStateSize) / 1e6)) "
                          + "| \(written.isEmpty ? "–" : String(format: "%.1f / %.1f MB", median(written) / 1e6, written.max()! / 1e6)) "
                          + "| \(best.restoreSeconds.map { String(format: "%.2f s", $0) } ?? "not measured") |")
                }
            }
        }
        #endif
    }

    private func measure(job: String, backend: String, keys: Int) throws -> StateMeasurement {
        let events = Int64(keys) * Int64(eventsPerKey)
        if BenchBackend.isFlink(backend) {
            return try FlinkPeer.measure(flink, job: job, rocksDB: backend == "flink-rocksdb", keys: keys, events: events,
                                         parallelism: parallelism, checkpointInterval: checkpointInterval)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-bench-state-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = ["state-single", "--job", job, "--backend", backend, "--keys", "\(keys)",
                         "--parallelism", "\(parallelism)", "--directory", directory, "--checkpoint-interval", "\(checkpointInterval)",
                         "--write-buffer-mib", "\(writeBufferMib)"]
        // One input of a few more events than measured: the first child stops at `events` (its
        // final checkpoint holds the whole state, open windows included), the second restores
        // it and produces the first result from the rest.
        let input = ["--events", "\(StateMeasurement.restoreInput(events: events, keys: keys))"]
        var first = try StateSingle.child(arguments + input + ["--stop-at", "\(events)"])
        let resumed = try StateSingle.child(arguments + input + ["--resume"])
        first.restoreSeconds = resumed.firstResultSeconds
        return first
    }
}

/// One run of `weir-bench state`, as the child prints it.
struct StateMeasurement: Codable {
    var events: Int64
    var seconds: Double
    var peakRSSKilobytes: Int
    var checkpointMilliseconds: [Int64]
    var largestStateSize: Int
    /// What each checkpoint wrote (an incremental one: its new files), in the order taken.
    var checkpointedSizes: [Int]
    /// Each checkpoint's full size (what a restore of it reads).
    var stateSizes: [Int]
    var firstResultSeconds: Double?
    /// From the first result to the last: the run's processing after a restore.
    var processingSeconds: Double?
    var restoreSeconds: Double?
    var results: Int

    var eventsPerSecond: Double { Double(events) / seconds }

    /// The input of a restore measurement: a few more events than the `events` measured, so
    /// that the restored job has input left to produce its first result from.
    static func restoreInput(events: Int64, keys: Int) -> Int64 { events + Int64(keys / 100 + 1_000) }
}

/// A child of `weir-bench state`: one checkpointed job on one backend.
struct StateSingle: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "state-single", abstract: "One run of the state benchmark in this process (used by 'state').")

    @Option var job: String
    @Option(help: "heap, rocksdb:<cached entries per table> (incremental checkpoints) or rocksdb-full:<cached entries per table>.") var backend: String
    @Option(help: "Running sum only: after the first --keys events (one per key), the rest update only this many keys (a fixed changed state per checkpoint however large the whole).") var hotKeys: Int?
    @Option(help: "Stop the job (with a final checkpoint, the input not ended: open windows stay in it) once the generator reaches this index, so that a --resume run goes on from there.") var stopAt: Int64?
    @Option var keys: Int
    @Option var events: Int64
    @Option var parallelism: Int
    @Option var checkpointInterval: Int
    @Option var writeBufferMib: Int = 16
    @Option var directory: String
    @Flag var resume = false
    @Flag(help: "One uninterrupted run: check the results against figures computed from the generator alone. Running sum: as many results as events, and their sum equal to the sum of every key's running sums (each key's events stay in order when --keys is a multiple of --parallelism). Window: one result per (key, window) pair the input holds, and their sums add up to the sum of every event's value.") var verify = false

    func run() throws {
        let env = StreamEnvironment(parallelism: parallelism)
        env.checkpointing = CheckpointConfiguration(directory: directory + "/checkpoints", interval: .milliseconds(checkpointInterval))
        env.resume = resume ? .latest : .fresh
        if backend == "heap" {
            env.stateBackend = HeapStateBackend()
        } else if let (incremental, cache) = BenchBackend.rocksDB(backend) {
            #if RocksDB
            env.stateBackend = RocksDBStateBackend(localDirectory: directory + "/rocksdb", writeBufferBytes: writeBufferMib << 20, cachedEntriesPerTable: cache,
                                                   incrementalCheckpoints: incremental)
            #else
            throw ValidationError("built without RocksDB")
            #endif
        } else {
            throw ValidationError("--backend must be heap, rocksdb:<cached entries> or rocksdb-full:<cached entries>")
        }
        let started = ProcessingClock.monotonicNanoseconds()
        let first: () -> (seconds: Double?, count: Int, last: Double?, checksum: (Int, Int64))
        // The window job: two events per key and window, so that about `keys` windows are open.
        let workload = job == "window" ? ReferenceWorkload(events: events, keys: keys, eventsPerSecond: Int64(keys) * 2) : ReferenceWorkload(events: events, keys: keys)
        let generate: @Sendable (Int64) -> StreamRecord<ReferenceEvent>
        if let hotKeys {
            let keys = Int64(self.keys)
            generate = { index in
                var random = SplitMix64(seed: UInt64(bitPattern: index))
                let key = index < keys ? Int(index) : Int(random.next() % UInt64(hotKeys))
                return StreamRecord(ReferenceEvent(key: key, value: Int64(random.next() % 100)), timestamp: index / 1_000)
            }
        } else {
            generate = { workload.event($0) }
        }
        let stopAt = self.stopAt ?? .max
        let cancellation = env.cancellation
        let source = GeneratorSource(count: events) { index in
            if index == stopAt { cancellation.stop() }
            return generate(index)
        }
        if job == "window" {
            let sink = FirstResultSink<WindowSum>(started: started) { $0.sum }
            env.addSource(source, name: "Generator")
                .assignTimestampsAndWatermarks(workload.watermarkStrategy)
                .keyBy { $0.key }
                .window(.tumbling(size: .milliseconds(1_000)))
                .aggregate(name: "WindowSum", SumAggregate()) { key, window, total in
                    WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
                }
                .sink(sink)
            first = { (sink.firstResultSeconds, sink.count, sink.lastResultSeconds, (sink.count, sink.sum)) }
        } else {
            let sink = FirstResultSink<ReferenceEvent>(started: started) { $0.value }
            env.addSource(source, name: "Generator")
                .keyBy { $0.key }
                .reduce(name: "RunningSum") { ReferenceEvent(key: $0.key, value: $0.value + $1.value) }
                .sink(sink)
            first = { (sink.firstResultSeconds, sink.count, sink.lastResultSeconds, (sink.count, sink.sum)) }
        }
        if verify {
            guard hotKeys == nil, stopAt == .max, !resume else { throw ValidationError("--verify checks one whole run of the plain job (no --hot-keys, --stop-at or --resume)") }
            guard job == "window" || keys % parallelism == 0 else { throw ValidationError("--verify needs --keys to be a multiple of --parallelism (each key's events in one stripe, in order)") }
        }
        let result = try env.execute("\(job) state benchmark")
        if verify {
            let (count, sum) = first().checksum
            let (expectedCount, expectedSum) = job == "window" ? Self.expectedWindowSums(workload) : (Int(events), Self.expectedRunningSums(workload))
            guard count == expectedCount, sum == expectedSum else {
                throw ValidationError("wrong results: \(count) \(job == "window" ? "window sums" : "running sums") (expected \(expectedCount)), their sum \(sum) (expected \(expectedSum))")
            }
        }
        // Every checkpoint, the final one (at the input's end, of the whole state) included: the
        // heap's first periodic checkpoint may not finish before the input ends.
        let checkpoints = result.checkpoints
        let measurement = StateMeasurement(events: min(events, stopAt), seconds: result.durationSeconds, peakRSSKilobytes: Single.peakRSSKilobytes(),
                                           checkpointMilliseconds: checkpoints.map(\.durationMilliseconds), largestStateSize: checkpoints.map(\.stateSize).max() ?? 0,
                                           checkpointedSizes: checkpoints.map(\.checkpointedSize), stateSizes: checkpoints.map(\.stateSize),
                                           firstResultSeconds: first().seconds,
                                           processingSeconds: first().last.flatMap { last in first().seconds.map { last - $0 } }, results: first().count)
        print(String(decoding: try JSONEncoder().encode(measurement), as: UTF8.self))
    }

    /// The sum of every running sum: key k's j-th event (index k + j·keys) is in the running
    /// sums it and every later event of k emit.
    static func expectedRunningSums(_ workload: ReferenceWorkload) -> Int64 {
        var expected: Int64 = 0
        let keyCount = Int64(workload.keys)
        for index in 0..<workload.events {
            let key = index % keyCount
            let eventsOfKey = (workload.events - 1 - key) / keyCount + 1
            expected &+= (eventsOfKey - index / keyCount) &* workload.event(index).value.value
        }
        return expected
    }

    /// How many window sums the input makes — one per (key, one-second window) pair among its
    /// events, the events of a window being a contiguous run of indices since event time
    /// grows with the index (the workload has no disorder) — and the sum of all of them, every
    /// event's value once. No event is
    /// late: each generator subtask's timestamps only grow, and the window's watermark is the
    /// least of theirs.
    static func expectedWindowSums(_ workload: ReferenceWorkload) -> (count: Int, sum: Int64) {
        var count = 0
        var sum: Int64 = 0
        var window: Int64 = -1
        var keysInWindow = 0
        for index in 0..<workload.events {
            let event = workload.event(index)
            let start = event.timestamp - event.timestamp % 1_000
            if start != window {
                count += keysInWindow
                window = start
                keysInWindow = 0
            }
            // n consecutive indices hold min(n, keys) distinct keys (the key is index mod keys).
            keysInWindow = min(keysInWindow + 1, workload.keys)
            sum &+= event.value.value
        }
        return (count + keysInWindow, sum)
    }

    static func child(_ arguments: [String]) throws -> StateMeasurement {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw ValidationError("state-single \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
        return try JSONDecoder().decode(StateMeasurement.self, from: Data(line.utf8))
    }
}

/// Counts results and notes when the first one arrived (after a restore: how long the keyed
/// state took to load, with the job's start).
final class FirstResultSink<Input: Sendable>: Sink, @unchecked Sendable {
    private let lock = NSLock()
    private let started: UInt64
    private(set) var firstResultSeconds: Double?
    /// When the last writer finished (the end of the input).
    private(set) var lastResultSeconds: Double?
    private(set) var count = 0
    /// The sum of `value(result)` over every result (wrapping).
    private(set) var sum: Int64 = 0
    let value: @Sendable (Input) -> Int64

    init(started: UInt64, value: @escaping @Sendable (Input) -> Int64 = { _ in 0 }) {
        self.started = started
        self.value = value
    }

    func makeWriter(_ context: SinkContext) throws -> Writer { Writer(sink: self) }

    fileprivate func arrived(_ count: Int, sum: Int64 = 0) {
        lock.withLock {
            self.sum &+= sum
            let now = Double(ProcessingClock.monotonicNanoseconds() - started) / 1e9
            if firstResultSeconds == nil { firstResultSeconds = now }
            lastResultSeconds = now
            self.count += count
        }
    }

    final class Writer: SinkWriter {
        let sink: FirstResultSink
        var count = 0
        var sum: Int64 = 0
        init(sink: FirstResultSink) { self.sink = sink }
        func write(_ value: Input, timestamp: Int64) throws {
            if count == 0 { sink.arrived(0) }
            count += 1
            sum &+= sink.value(value)
        }
        func finish() throws { sink.arrived(count, sum: sum) }
    }
}

/// The backends `weir-bench state` and `incremental` compare, as `state-single --backend` names them.
enum BenchBackend {
    /// `heap,rocksdb-full,rocksdb` with each RocksDB kind once per cache size.
    static func parse(_ list: String, cacheSizes: [Int]) throws -> [String] {
        try list.split(separator: ",").flatMap { name -> [String] in
            switch name {
            case "heap": return ["heap"]
            case "rocksdb", "rocksdb-full": return cacheSizes.map { "\(name):\($0)" }
            case "flink": return ["flink-rocksdb"]
            case "flink-hashmap": return ["flink-hashmap"]
            default: throw ValidationError("--backends: '\(name)' is not heap, rocksdb-full, rocksdb, flink or flink-hashmap")
            }
        }
    }

    /// Whether `backend` is RocksDB with incremental checkpoints, and its cache size; `nil` for the heap.
    static func rocksDB(_ backend: String) -> (incremental: Bool, cache: Int)? {
        let parts = backend.split(separator: ":")
        guard parts.count == 2, let cache = Int(parts[1]), ["rocksdb", "rocksdb-full"].contains(parts[0]) else { return nil }
        return (parts[0] == "rocksdb", cache)
    }

    static func isFlink(_ backend: String) -> Bool { backend.hasPrefix("flink-") }

    static func label(_ backend: String) -> String {
        if backend == "flink-rocksdb" { return "Flink \(VersusFlink.flinkVersion) RocksDB incremental" }
        if backend == "flink-hashmap" { return "Flink \(VersusFlink.flinkVersion) hashmap (full)" }
        guard let (incremental, cache) = rocksDB(backend) else { return "heap (full)" }
        return "RocksDB \(incremental ? "incremental" : "full"), cache \(cache)"
    }
}
