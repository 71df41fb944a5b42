import Foundation

/// Calls a progress handler periodically from a thread of its own while a job runs.
@usableFromInline final class ProgressReporter: @unchecked Sendable {
    @usableFromInline let handler: @Sendable (JobProgress) -> Void
    @usableFromInline let interval: Duration
    @usableFromInline let metrics: [OperatorMetrics]
    @usableFromInline let started: UInt64
    @usableFromInline let condition = NSCondition()
    @usableFromInline var executor: JobExecutor?
    @usableFromInline var restarts = 0
    @usableFromInline var stopped = false
    @usableFromInline var thread: JoinableThread?

    @usableFromInline init(handler: @escaping @Sendable (JobProgress) -> Void, interval: Duration, metrics: [OperatorMetrics], started: UInt64) {
        self.handler = handler
        self.interval = interval
        self.metrics = metrics
        self.started = started
        thread = JoinableThread(name: "weir: progress") { [self] in run() }
    }

    @usableFromInline func watch(_ executor: JobExecutor, restarts: Int) {
        condition.lock()
        self.executor = executor
        self.restarts = restarts
        condition.unlock()
    }

    @usableFromInline func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        thread?.join()
    }

    @usableFromInline func run() {
        condition.lock()
        while !stopped {
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(max(1, interval.wholeMilliseconds)) / 1_000))
            if stopped { break }
            let progress = JobProgress(
                elapsedSeconds: Double(ProcessingClock.monotonicNanoseconds() - started) / 1e9,
                sourceRecords: metrics.reduce(0) { $0 + $1.recordsOut.value },
                lateRecordsDropped: metrics.reduce(0) { $0 + $1.lateRecordsDropped.value },
                checkpoints: executor?.completedCheckpoints ?? [], restarts: restarts, operators: metrics)
            condition.unlock()
            handler(progress)
            condition.lock()
        }
        condition.unlock()
    }
}
