import Foundation
import Synchronization

/// Shared by all tasks of one job run: whether the run is being torn down.
final class JobControl: Sendable {
    private let cancelled = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    func cancel() { cancelled.store(true, ordering: .relaxed) }

    /// A stop with a final checkpoint was asked for: sources end where they are, without
    /// ending event time (no window fires because of the stop), and the final checkpoint
    /// commits everything up to there.
    var isStopping: Bool { stopping.load(ordering: .relaxed) }
    func stop() { stopping.store(true, ordering: .relaxed) }
}

/// What a running task knows about itself.
final class TaskEnvironment: Sendable {
    let location: OperatorLocation
    let configuration: RuntimeConfiguration
    let control: JobControl
    let metrics: OperatorMetrics

    init(location: OperatorLocation, configuration: RuntimeConfiguration, control: JobControl, metrics: OperatorMetrics) {
        self.location = location
        self.configuration = configuration
        self.control = control
        self.metrics = metrics
    }

    func checkCancelled() throws {
        if control.isCancelled { throw TaskCancelled() }
    }

    /// Sleeps about `milliseconds`, waking early (and throwing) if the job is cancelled.
    func pause(milliseconds: Int) throws {
        var remaining = milliseconds
        while remaining > 0 {
            try checkCancelled()
            let step = min(remaining, 20)
            usleep(useconds_t(step * 1_000))
            remaining -= step
        }
        try checkCancelled()
    }
}
