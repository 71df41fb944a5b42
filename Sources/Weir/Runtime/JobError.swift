/// Why a job could not be built or did not finish.
public enum JobError: Error, CustomStringConvertible {
    /// The job graph is not executable; the message says what to change.
    case invalidJob(String)
    /// ``StreamEnvironment/cancel()`` stopped the job. Its completed checkpoints stay: a run
    /// with `resume: .latest` continues from the latest one.
    case cancelled

    /// What failed, and where.
    public var description: String {
        switch self {
        case .invalidJob(let message): return "invalid job: \(message)"
        case .cancelled: return "the job was cancelled"
        }
    }
}
