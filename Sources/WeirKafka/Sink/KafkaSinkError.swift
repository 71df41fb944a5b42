import Weir

/// What stops a Kafka sink besides the client's own errors.
/// Every case is a setting or a topic that a restart would not change: the job ends at once.
public enum KafkaSinkError: PermanentFailure, CustomStringConvertible {
    /// The topic does not exist (Weir does not create it).
    case unknownTopic(String)
    /// Every transactional id of the subtask's pool is still held (raise ``KafkaSink/transactionalIDPoolSize``).
    case poolExhausted(prefix: String, subtask: Int, size: Int)
    /// A setting that cannot work (e.g. a transaction timeout shorter than two checkpoint intervals).
    case invalidConfiguration(String)

    /// What is wrong, and which setting to change.
    public var description: String {
        switch self {
        case .unknownTopic(let topic): "the Kafka sink's topic \(topic) does not exist"
        case .poolExhausted(let prefix, let subtask, let size):
            "every transactional id of \(prefix)-\(subtask)-0…\(size - 1) is taken by a transaction that is open, pending, or listed by a retained checkpoint; "
                + "raise KafkaSink.transactionalIDPoolSize (checkpoints are failing to complete, or complete more slowly than they are taken)"
        case .invalidConfiguration(let what): "Kafka sink: \(what)"
        }
    }
}
