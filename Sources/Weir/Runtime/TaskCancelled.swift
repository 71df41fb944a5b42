/// Thrown inside a task when the job is being torn down because another task failed or the
/// job was cancelled. It is never the reason a job failed; the original error is.
struct TaskCancelled: Error, CustomStringConvertible {
    var description: String { "task cancelled" }
}
