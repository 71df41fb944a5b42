import Foundation

/// The executor of the current run, so that `cancel()` can reach it from another thread.
@usableFromInline final class RunningExecutor: @unchecked Sendable {
    @usableFromInline let lock = NSLock()
    @usableFromInline var executor: JobExecutor?
    @usableFromInline var cancelled = false
    @usableFromInline var stopping = false

    @usableFromInline var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    /// Registers the executor of a run; `false` if the job was cancelled already.
    @usableFromInline func start(_ executor: JobExecutor) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        self.executor = executor
        if stopping { executor.stopWithFinalCheckpoint() }
        return !cancelled
    }

    @usableFromInline func finish() {
        lock.lock()
        executor = nil
        lock.unlock()
    }

    /// A new `execute` begins: an earlier cancellation does not apply to it.
    @usableFromInline func reset() {
        lock.lock()
        cancelled = false
        stopping = false
        lock.unlock()
    }

    @usableFromInline func cancel() {
        lock.lock()
        cancelled = true
        let current = executor
        lock.unlock()
        current?.cancelFromOutside()
    }

    @usableFromInline func stop() {
        lock.lock()
        stopping = true
        let current = executor
        lock.unlock()
        current?.stopWithFinalCheckpoint()
    }

    @usableFromInline var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }
}
