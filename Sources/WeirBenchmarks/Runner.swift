import Foundation
import Weir
import WeirReferenceJobs

/// The measured work of each job and engine. Every variant returns the number of results and a
/// checksum over them, so that the suite can check that all engines computed the same thing.
enum Runner {
    /// Runs one measurement; `seconds` and `peakRSSKilobytes` are the job's own when checking its
    /// output takes extra time and memory that must not count (the file sink's committed files
    /// are read back).
    static func run(job: Job, engine: Engine, parallelism: Int, workload: ReferenceWorkload, outputDirectory: String? = nil) throws -> (count: Int, checksum: Int64, checkpoints: [CheckpointFigures]?, seconds: Double?, peakRSSKilobytes: Int?) {
        if job == .windowFileSink {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-bench-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let output = outputDirectory ?? directory + "/out"
            let env = StreamEnvironment(parallelism: parallelism)
            env.checkpointing = CheckpointConfiguration(directory: directory + "/checkpoints", interval: .seconds(1))
            workload.windowSums(in: env).sink(FileSink(directory: output, encoder: .csv { [String($0.key), String($0.windowStart), String($0.sum), String($0.count)] }), name: "Files")
            let result = try env.execute("window benchmark")
            let peakRSS = Single.peakRSSKilobytes()
            let (count, checksum) = try CommittedWindowSums.digest(of: output)
            return (count, checksum, nil, result.durationSeconds, peakRSS)
        }
        if job == .windowCheckpointed || job == .runningSumCheckpointed {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-bench-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let env = StreamEnvironment(parallelism: parallelism)
            env.checkpointing = CheckpointConfiguration(directory: directory, interval: .seconds(1))
            let digest: () -> (Int, Int64)
            if job == .windowCheckpointed {
                let sink = ChecksumSink<WindowSum> { $0.sum &* 31 &+ $0.windowStart &+ Int64($0.key) }
                workload.windowSums(in: env).sink(sink)
                digest = { (sink.count, sink.checksum) }
            } else {
                let sink = ChecksumSink<ReferenceEvent> { $0.value &* 31 &+ Int64($0.key) }
                workload.runningSums(in: env).sink(sink)
                digest = { (sink.count, sink.checksum) }
            }
            let result = try env.execute("\(job.rawValue) benchmark")
            let figures = result.checkpoints.filter { !$0.isFinal }.map {
                CheckpointFigures(durationMilliseconds: $0.durationMilliseconds, stateSize: $0.stateSize,
                                  maxTaskPauseMicroseconds: $0.maxTaskPauseMicroseconds, maxSnapshotMicroseconds: $0.maxSnapshotMicroseconds)
            }
            let (count, checksum) = digest()
            return (count, checksum, figures, nil, nil)
        }
        let (count, checksum) = try run(job: job, engine: engine, parallelism: parallelism, workload: workload)
        return (count, checksum, nil, nil, nil)
    }

    private static func run(job: Job, engine: Engine, parallelism: Int, workload: ReferenceWorkload) throws -> (count: Int, checksum: Int64) {
        switch (job, engine) {
        case (.window, .limit): return Limit.windowSums(workload)
        case (.runningSum, .limit): return Limit.runningSums(workload)
        case (.windowCheckpointed, _), (.windowFileSink, _), (.runningSumCheckpointed, _): preconditionFailure("handled above")
        case (_, .flink): preconditionFailure("Flink runs in its own process")
        case (.window, .weir):
            let env = StreamEnvironment(parallelism: parallelism)
            let sink = ChecksumSink<WindowSum> { $0.sum &* 31 &+ $0.windowStart &+ Int64($0.key) }
            workload.windowSums(in: env).sink(sink)
            try env.execute("window benchmark")
            return (sink.count, sink.checksum)
        case (.runningSum, .weir):
            let env = StreamEnvironment(parallelism: parallelism)
            let sink = ChecksumSink<ReferenceEvent> { $0.value &* 31 &+ Int64($0.key) }
            workload.runningSums(in: env).sink(sink)
            try env.execute("running-sum benchmark")
            return (sink.count, sink.checksum)
        case (.window, .weirUserModule):
            let env = StreamEnvironment(parallelism: parallelism)
            let sink = ChecksumSink<WindowSum> { $0.sum &* 31 &+ $0.windowStart &+ Int64($0.key) }
            env.addSource(workload.source)
                .assignTimestampsAndWatermarks(WatermarkStrategy.boundedOutOfOrderness(.zero).emittingWatermarks(everyRecords: 10_000))
                .keyBy { $0.key }
                .window(.tumbling(size: .seconds(1)))
                .aggregate(SumAggregate()) { key, window, total in
                    WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
                }
                .sink(sink)
            try env.execute("window benchmark (user module)")
            return (sink.count, sink.checksum)
        case (.runningSum, .weirUserModule):
            let env = StreamEnvironment(parallelism: parallelism)
            let sink = ChecksumSink<ReferenceEvent> { $0.value &* 31 &+ Int64($0.key) }
            env.addSource(workload.source)
                .keyBy { $0.key }
                .reduce { ReferenceEvent(key: $0.key, value: $0.value + $1.value) }
                .sink(sink)
            try env.execute("running-sum benchmark (user module)")
            return (sink.count, sink.checksum)
        }
    }
}

/// The baseline: the same results computed by a plain single-threaded loop, no engine.
enum Limit {
    static func windowSums(_ workload: ReferenceWorkload) -> (Int, Int64) {
        struct Slot: Hashable { var key: Int; var start: Int64 }
        var open: [Slot: SumAggregate.Total] = [:]
        var openStarts: [Int64: [Slot]] = [:]
        var count = 0
        var checksum: Int64 = 0
        var maxTimestamp = Int64.min
        let watermarkEvery = Int64(workload.watermarkStrategy.emitEvery!)
        func fire(upTo watermark: Int64) {
            for start in openStarts.keys.sorted() where start + 1_000 - 1 <= watermark {
                for slot in openStarts.removeValue(forKey: start)! {
                    let total = open.removeValue(forKey: slot)!
                    count += 1
                    checksum &+= total.sum &* 31 &+ start &+ Int64(slot.key)
                }
            }
        }
        for index in 0..<workload.events {
            let record = workload.event(index)
            let start = record.timestamp - record.timestamp % 1_000
            let slot = Slot(key: record.value.key, start: start)
            /// Adds the record to the window's total; whether the window was opened by it.
            func add(_ total: inout SumAggregate.Total?) -> Bool {
                let created = total == nil
                if created { total = SumAggregate.Total() }
                total!.sum += record.value.value
                total!.count += 1
                return created
            }
            // One lookup, in place, like the engine's state table.
            if add(&open[slot]) { openStarts[start, default: []].append(slot) }
            maxTimestamp = max(maxTimestamp, record.timestamp)
            // Windows fire on the same cadence as the engine's watermarks (every 100 ms of event time).
            if (index + 1) % watermarkEvery == 0 { fire(upTo: maxTimestamp - 1) }
        }
        fire(upTo: Int64.max)
        return (count, checksum)
    }

    static func runningSums(_ workload: ReferenceWorkload) -> (Int, Int64) {
        var sums: [Int: Int64] = [:]
        var checksum: Int64 = 0
        for index in 0..<workload.events {
            let event = workload.event(index).value
            let sum = sums[event.key, default: 0] + event.value
            sums[event.key] = sum
            checksum &+= sum &* 31 &+ Int64(event.key)
        }
        return (Int(workload.events), checksum)
    }
}

/// Counts results and folds them into an order-independent checksum.
final class ChecksumSink<Input: Sendable>: Sink, @unchecked Sendable {
    private let digest: @Sendable (Input) -> Int64
    private let lock = NSLock()
    private(set) var count = 0
    private(set) var checksum: Int64 = 0

    init(digest: @escaping @Sendable (Input) -> Int64) { self.digest = digest }

    func makeWriter(_ context: SinkContext) throws -> Writer { Writer(sink: self) }

    fileprivate func add(count: Int, checksum: Int64) {
        lock.withLock {
            self.count += count
            self.checksum &+= checksum
        }
    }

    final class Writer: SinkWriter {
        let sink: ChecksumSink
        var count = 0
        var checksum: Int64 = 0
        init(sink: ChecksumSink) { self.sink = sink }
        func write(_ value: Input, timestamp: Int64) throws {
            count += 1
            checksum &+= sink.digest(value)
        }
        func finish() throws { sink.add(count: count, checksum: checksum) }
    }
}
