import Foundation
import Synchronization

/// Shared by all tasks of one job run: whether the run is being torn down.
@usableFromInline final class JobControl: Sendable {
    @usableFromInline let cancelled = Atomic<Bool>(false)
    @usableFromInline let stopping = Atomic<Bool>(false)

    @usableFromInline var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    @usableFromInline func cancel() { cancelled.store(true, ordering: .relaxed) }

    /// A stop with a final checkpoint was asked for: sources end where they are, without
    /// ending event time (no window fires because of the stop), and the final checkpoint
    /// commits everything up to there.
    @usableFromInline var isStopping: Bool { stopping.load(ordering: .relaxed) }
    @usableFromInline func stop() { stopping.store(true, ordering: .relaxed) }
}

/// What a running task knows about itself.
@usableFromInline final class TaskEnvironment: Sendable {
    @usableFromInline let location: OperatorLocation
    @usableFromInline let configuration: RuntimeConfiguration
    @usableFromInline let control: JobControl
    @usableFromInline let metrics: OperatorMetrics

    @usableFromInline init(location: OperatorLocation, configuration: RuntimeConfiguration, control: JobControl, metrics: OperatorMetrics) {
        self.location = location
        self.configuration = configuration
        self.control = control
        self.metrics = metrics
    }

    @usableFromInline func checkCancelled() throws {
        if control.isCancelled { throw TaskCancelled() }
    }

    /// Sleeps about `milliseconds`, waking early (and throwing) if the job is cancelled.
    @usableFromInline func pause(milliseconds: Int) throws {
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
