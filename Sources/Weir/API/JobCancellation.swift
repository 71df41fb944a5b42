/// Cancels a job from any thread (see ``StreamEnvironment/cancellation``).
public struct JobCancellation: Sendable {
    @usableFromInline let running: RunningExecutor

    /// Same as ``StreamEnvironment/cancel()``.
    public func cancel() { running.cancel() }

    /// Same as ``StreamEnvironment/stop()``.
    public func stop() { running.stop() }
}
