/// Why a worker stops or refuses a task.
public enum WorkerError: Error, CustomStringConvertible {
    /// The worker may no longer act for the group (paused past its session, a rebalance began,
    /// it is stopping): its tasks stop and restore wherever the group assigns them next.
    case leaseLost(String)
    /// A task's job failed and its restart strategy gave up; the worker left the group so that
    /// the task moves (and probably fails again there: the cause is in the job or its input).
    case taskFailed(WorkerTask, any Error)
    /// The job a task was given cannot run as a worker task.
    case invalidTask(WorkerTask, String)
    /// The input topic cannot be read.
    case input(String)

    /// What went wrong, and for which task.
    public var description: String {
        switch self {
        case .leaseLost(let why): "the worker's lease on its tasks is lost: \(why)"
        case .taskFailed(let task, let error): "\(task) failed: \(error)"
        case .invalidTask(let task, let why): "\(task) cannot run: \(why)"
        case .input(let why): why
        }
    }
}
