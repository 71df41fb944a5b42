import Weir
import WeirReferenceJobs

/// generator → (failure injection) → keyBy → FinalCount → collect: the checkpoint tests'
/// job, whose final counts are known from the workload (`workload.expectedCounts()`).
package enum CountingJob {
    /// The job, checkpointed every 50 ms into `storage`, with no restarts (the tests fail it on
    /// purpose and look at what is left; those that test restarts set their own strategy).
    package static func make(_ workload: ReferenceWorkload, rate: Double, parallelism: Int, injector: FailureInjector?,
                             storage: any CheckpointStorage, mode: CheckpointingMode = .exactlyOnce,
                             warnings: Warnings? = nil) -> (StreamEnvironment, CollectSink<FinalCount.Count>) {
        let env = StreamEnvironment(parallelism: parallelism)
        var configuration = CheckpointConfiguration(storage: storage, interval: .milliseconds(50))
        configuration.mode = mode
        env.checkpointing = configuration
        env.restartStrategy = .none
        if let warnings { env.warningHandler = { warnings.add($0) } }
        let sink = CollectSink<FinalCount.Count>()
        env.addSource(GeneratorSource(count: workload.events, ratePerSecond: rate) { workload.event($0) }, name: "Generator")
            .map(name: "Inject") { event in
                try injector?.check()
                return event
            }
            .keyBy { $0.key }
            .process(name: "Count") { FinalCount() }
            .sink(sink)
        return (env, sink)
    }

    /// Counts by key; `duplicate` is called for a key emitted twice.
    package static func counts(_ values: [FinalCount.Count], duplicate: (Int) -> Void) -> [Int: Int64] {
        var result: [Int: Int64] = [:]
        for value in values {
            if result[value.key] != nil { duplicate(value.key) }
            result[value.key, default: 0] += value.count
        }
        return result
    }
}
