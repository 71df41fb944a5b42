import ArgumentParser
import Foundation

/// Flink as a row of `weir-bench state`: the same running sum and window job, with the same
/// events, keys, watermarks, parallelism and checkpoint interval, run by
/// `Benchmarks/Peers/Flink/flink.sh` in Flink's mini-cluster.
enum FlinkPeer {
    /// `flink.sh setup`: installs Flink's jars on first use and compiles the peer job.
    static func setUp(_ script: String) throws {
        let setup = Process()
        setup.executableURL = URL(fileURLWithPath: script)
        setup.arguments = ["setup"]
        try setup.run()
        setup.waitUntilExit()
        guard setup.terminationStatus == 0 else { throw ValidationError("\(script) setup failed with status \(setup.terminationStatus)") }
    }

    /// One run on Flink's RocksDB backend with incremental checkpoints (or its heap backend),
    /// checked as Weir's runs are: as many running sums as events; a window result per key and
    /// window. Then Flink's restore, as Weir's: a second run stops after `events` events of an
    /// input of a few more (cancelled after a checkpoint that holds them, retained), and a job
    /// restored from that checkpoint is timed from its submission to its first result.
    static func measure(_ script: String, job: String, rocksDB: Bool, keys: Int, events: Int64, parallelism: Int, checkpointInterval: Int) throws -> StateMeasurement {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-bench-flink-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // StateSingle's window workload: two events per key and one-second window.
        let eventsPerSecond = job == "window" ? Int64(keys) * 2 : 100_000
        let arguments = ["run", "--job", job == "window" ? "window-checkpointed" : "running-sum-checkpointed",
                         "--state-backend", rocksDB ? "rocksdb" : "hashmap", "--incremental", rocksDB ? "true" : "false",
                         "--parallelism", "\(parallelism)", "--events", "\(events)", "--keys", "\(keys)",
                         "--events-per-second", "\(eventsPerSecond)", "--checkpoint-interval", "\(checkpointInterval)", "--directory", directory]
        let (measurement, _) = try ChildMeasurement.run(URL(fileURLWithPath: script), arguments, what: "Flink \(job) \(rocksDB ? "rocksdb" : "hashmap") \(keys) keys")
        let expected = job == "window" ? windowResults(events: events, keys: keys, eventsPerSecond: eventsPerSecond) : Int(events)
        guard measurement.resultCount == expected else {
            throw ValidationError("Flink's \(job) computed \(measurement.resultCount) results, expected \(expected)")
        }
        var restoreArguments = arguments
        restoreArguments[restoreArguments.firstIndex(of: "--events")! + 1] = "\(StateMeasurement.restoreInput(events: events, keys: keys))"
        let (restore, _) = try ChildMeasurement.run(URL(fileURLWithPath: script), restoreArguments + ["--restore-at", "\(events)"],
                                                    what: "Flink \(job) restore \(rocksDB ? "rocksdb" : "hashmap") \(keys) keys")
        guard let restoreSeconds = restore.restoreSeconds else { throw ValidationError("Flink's restore run printed no restoreSeconds") }
        let checkpoints = measurement.checkpoints ?? []
        return StateMeasurement(events: events, seconds: measurement.seconds, peakRSSKilobytes: measurement.peakRSSKilobytes,
                                checkpointMilliseconds: checkpoints.map(\.durationMilliseconds), largestStateSize: checkpoints.map(\.stateSize).max() ?? 0,
                                checkpointedSizes: checkpoints.compactMap(\.checkpointedSize), stateSizes: checkpoints.map(\.stateSize),
                                firstResultSeconds: nil, processingSeconds: nil, restoreSeconds: restoreSeconds, results: measurement.resultCount)
    }

    /// Distinct (key, one-second window) pairs of events 0..<events: every full window holds
    /// every key; the last, partial one the keys of its events.
    static func windowResults(events: Int64, keys: Int, eventsPerSecond: Int64) -> Int {
        let full = events / eventsPerSecond
        let rest = events % eventsPerSecond
        return Int(full) * keys + Int(min(rest, Int64(keys)))
    }
}
