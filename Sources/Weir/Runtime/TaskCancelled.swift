/// Thrown inside a task when the job is being torn down because another task failed or the
/// job was cancelled. It is never the reason a job failed; the original error is.
@usableFromInline struct TaskCancelled: Error, CustomStringConvertible {
    @usableFromInline init() {}
    @usableFromInline var description: String { "task cancelled" }
}
