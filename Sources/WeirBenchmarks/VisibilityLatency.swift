import ArgumentParser
import Foundation
import Synchronization
import Weir
import WeirReferenceJobs

/// How long after a window ends its results are readable in a committed file of the
/// exactly-once file sink, with events generated in real time (event time = wall time since
/// the start): a watcher lists the output directory every 5 ms and notes when each file
/// appears; a window's latency is the first appearance of the file holding it minus the
/// window's end.
enum VisibilityLatency {
    struct Result {
        var rate: Int
        var windows: Int
        var median: Int64
        var p90: Int64
        var max: Int64
    }

    static func measure(seconds: Int = 8, rate: Int = 100_000) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-latency-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let workload = ReferenceWorkload(events: Int64(seconds * rate), keys: 1_000, eventsPerSecond: Int64(rate))

        let seen = Mutex<[String: Int64]>([:])
        let done = Atomic<Bool>(false)
        let started = ProcessingClock.nowMilliseconds()
        let watching = DispatchGroup()
        watching.enter()
        let watcher = Thread {
            defer { watching.leave() }
            while !done.load(ordering: .relaxed) {
                let now = ProcessingClock.nowMilliseconds()
                for name in (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? [] where !name.hasPrefix(".") {
                    seen.withLock { if $0[name] == nil { $0[name] = now } }
                }
                usleep(5_000)
            }
        }
        watcher.start()
        // Real time: the generator's event time (ms since the start) follows the wall clock.
        let timed = StreamEnvironment(parallelism: 2)
        timed.checkpointing = CheckpointConfiguration(directory: directory + "/checkpoints", interval: .seconds(1))
        timed.addSource(GeneratorSource(count: workload.events, ratePerSecond: Double(rate)) { workload.event($0) }, name: "Generator")
            .assignTimestampsAndWatermarks(WatermarkStrategy.boundedOutOfOrderness(.zero))
            .keyBy { $0.key }
            .window(.tumbling(size: .seconds(1)))
            .aggregate(SumAggregate()) { key, window, total in
                WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
            }
            .sink(FileSink(directory: output, encoder: .csv { [String($0.windowEnd), String($0.key)] }), name: "Files")
        try timed.execute("latency")
        done.store(true, ordering: .relaxed)
        watching.wait()

        // Per window end, when the last file holding its results appeared (the last window
        // ends with the input, where the final checkpoint commits it: left out).
        var visible: [Int64: Int64] = [:]
        for (name, at) in seen.withLock({ $0 }) {
            let text = String(decoding: try DurableFile.read(output + "/" + name), as: UTF8.self)
            for line in text.split(separator: "\n") {
                let end = Int64(line.split(separator: ",")[0])!
                visible[end] = Swift.max(visible[end] ?? 0, at)
            }
        }
        let latencies = visible.filter { $0.key < Int64(seconds) * 1_000 }.map { $0.value - (started + $0.key) }.sorted()
        guard !latencies.isEmpty else { throw ValidationError("no window became visible") }
        return Result(rate: rate, windows: latencies.count, median: latencies[latencies.count / 2],
                      p90: latencies[latencies.count * 9 / 10], max: latencies.last!)
    }
}
