/// Why a job could not be built or did not finish.
public enum JobError: Error, CustomStringConvertible {
    /// The job graph is not executable; the message says what to change.
    case invalidJob(String)

    public var description: String {
        switch self {
        case .invalidJob(let message): return "invalid job: \(message)"
        }
    }
}
