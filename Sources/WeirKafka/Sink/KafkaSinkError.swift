import Weir

/// What stops a Kafka sink besides the client's own errors.
/// Every case is a setting or a topic that a restart would not change: the job ends at once.
public enum KafkaSinkError: PermanentFailure, CustomStringConvertible {
    case unknownTopic(String)
    case poolExhausted(prefix: String, subtask: Int, size: Int)
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .unknownTopic(let topic): "the Kafka sink's topic \(topic) does not exist"
        case .poolExhausted(let prefix, let subtask, let size):
            "every transactional id of \(prefix)-\(subtask)-0…\(size - 1) holds a pending transaction; raise KafkaSink.transactionalIDPoolSize "
                + "(checkpoints are failing to complete, or complete more slowly than they are taken)"
        case .invalidConfiguration(let what): "Kafka sink: \(what)"
        }
    }
}
