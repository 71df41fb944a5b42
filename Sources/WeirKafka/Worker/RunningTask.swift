import Foundation
import Synchronization
import Weir

/// A task's job running on a thread of its own (``StreamEnvironment/execute(_:)`` blocks), with
/// the handle that cancels it and how it ended.
final class RunningTask: Sendable {
    let task: WorkerTask
    private let cancellation: JobCancellation
    private let outcome = Mutex<Result<JobExecutionResult, any Error>?>(nil)

    /// Starts `environment`'s job now.
    init(task: WorkerTask, environment: StreamEnvironment, jobName: String) {
        self.task = task
        self.cancellation = environment.cancellation
        let box = UncheckedBox(environment)
        let thread = Thread { [self] in
            let result = Result { try box.value.execute(jobName) }
            outcome.withLock { $0 = result }
        }
        thread.name = "weir \(task.name)"
        thread.start()
    }

    /// How the job ended, `nil` while it runs.
    var ended: Result<JobExecutionResult, any Error>? { outcome.withLock { $0 } }

    /// Cancels the job (its completed checkpoints stay: the next owner restores from them) and
    /// waits until its threads are done, so that two runs of a task never overlap in this process.
    func cancelAndWait() async {
        // Again each round: a cancel that comes before `execute` has started is reset by it.
        while ended == nil {
            cancellation.cancel()
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Hands a non-Sendable value to the one thread that uses it from then on.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
