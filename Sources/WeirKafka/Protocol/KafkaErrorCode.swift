/// An error code in a Kafka response (0 is none). Names for the codes a stream processor
/// meets; others print as their number.
public struct KafkaErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The code as the protocol carries it.
    public var rawValue: Int16

    /// The code `rawValue`.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// `NONE` (0).
    public static let none = KafkaErrorCode(rawValue: 0)
    /// `OFFSET_OUT_OF_RANGE` (1).
    public static let offsetOutOfRange = KafkaErrorCode(rawValue: 1)
    /// `CORRUPT_MESSAGE` (2).
    public static let corruptMessage = KafkaErrorCode(rawValue: 2)
    /// `UNKNOWN_TOPIC_OR_PARTITION` (3).
    public static let unknownTopicOrPartition = KafkaErrorCode(rawValue: 3)
    /// `LEADER_NOT_AVAILABLE` (5).
    public static let leaderNotAvailable = KafkaErrorCode(rawValue: 5)
    /// `NOT_LEADER_OR_FOLLOWER` (6).
    public static let notLeaderOrFollower = KafkaErrorCode(rawValue: 6)
    /// `REQUEST_TIMED_OUT` (7).
    public static let requestTimedOut = KafkaErrorCode(rawValue: 7)
    /// `COORDINATOR_LOAD_IN_PROGRESS` (14).
    public static let coordinatorLoadInProgress = KafkaErrorCode(rawValue: 14)
    /// `COORDINATOR_NOT_AVAILABLE` (15).
    public static let coordinatorNotAvailable = KafkaErrorCode(rawValue: 15)
    /// `NOT_COORDINATOR` (16).
    public static let notCoordinator = KafkaErrorCode(rawValue: 16)
    /// `ILLEGAL_GENERATION` (22): the member's generation is not the group's (a rebalance happened).
    public static let illegalGeneration = KafkaErrorCode(rawValue: 22)
    /// `UNKNOWN_MEMBER_ID` (25): the coordinator does not know the member (its session expired).
    public static let unknownMemberID = KafkaErrorCode(rawValue: 25)
    /// `REBALANCE_IN_PROGRESS` (27): the member must join again.
    public static let rebalanceInProgress = KafkaErrorCode(rawValue: 27)
    /// `MEMBER_ID_REQUIRED` (79): join again with the member id of the response.
    public static let memberIDRequired = KafkaErrorCode(rawValue: 79)
    /// `FENCED_INSTANCE_ID` (82): another member took this static member's instance id.
    public static let fencedInstanceID = KafkaErrorCode(rawValue: 82)
    /// `INVALID_TOPIC_EXCEPTION` (17).
    public static let invalidTopic = KafkaErrorCode(rawValue: 17)
    /// `TOPIC_ALREADY_EXISTS` (36).
    public static let topicAlreadyExists = KafkaErrorCode(rawValue: 36)
    /// `UNSUPPORTED_VERSION` (35).
    public static let unsupportedVersion = KafkaErrorCode(rawValue: 35)
    /// `INVALID_PARTITIONS` (37).
    public static let invalidPartitions = KafkaErrorCode(rawValue: 37)
    /// `INVALID_REPLICATION_FACTOR` (38).
    public static let invalidReplicationFactor = KafkaErrorCode(rawValue: 38)
    /// `OUT_OF_ORDER_SEQUENCE_NUMBER` (45).
    public static let outOfOrderSequenceNumber = KafkaErrorCode(rawValue: 45)
    /// `DUPLICATE_SEQUENCE_NUMBER` (46).
    public static let duplicateSequenceNumber = KafkaErrorCode(rawValue: 46)
    /// `INVALID_PRODUCER_EPOCH` (47).
    public static let invalidProducerEpoch = KafkaErrorCode(rawValue: 47)
    /// `INVALID_TXN_STATE` (48).
    public static let invalidTransactionState = KafkaErrorCode(rawValue: 48)
    /// `INVALID_PRODUCER_ID_MAPPING` (49).
    public static let invalidProducerIDMapping = KafkaErrorCode(rawValue: 49)
    /// `INVALID_TRANSACTION_TIMEOUT` (50).
    public static let invalidTransactionTimeout = KafkaErrorCode(rawValue: 50)
    /// `CONCURRENT_TRANSACTIONS` (51).
    public static let concurrentTransactions = KafkaErrorCode(rawValue: 51)
    /// `TRANSACTION_COORDINATOR_FENCED` (52).
    public static let transactionCoordinatorFenced = KafkaErrorCode(rawValue: 52)
    /// `UNKNOWN_PRODUCER_ID` (59).
    public static let unknownProducerID = KafkaErrorCode(rawValue: 59)
    /// `FENCED_LEADER_EPOCH` (74).
    public static let fencedLeaderEpoch = KafkaErrorCode(rawValue: 74)
    /// `UNKNOWN_LEADER_EPOCH` (75).
    public static let unknownLeaderEpoch = KafkaErrorCode(rawValue: 75)
    /// `PRODUCER_FENCED` (90).
    public static let producerFenced = KafkaErrorCode(rawValue: 90)

    /// Worth a metadata refresh and a retry: the partition moved or its leader is being elected.
    public var isRetriableAfterMetadataRefresh: Bool {
        [.unknownTopicOrPartition, .leaderNotAvailable, .notLeaderOrFollower, .fencedLeaderEpoch, .unknownLeaderEpoch].contains(self)
    }

    /// A newer producer with the same transactional id took over.
    public var isFencing: Bool { self == .producerFenced || self == .invalidProducerEpoch }

    /// The code's name in the Kafka protocol (`TOPIC_ALREADY_EXISTS`), or its number.
    public var description: String {
        let names: [Int16: String] = [
            0: "NONE", 1: "OFFSET_OUT_OF_RANGE", 2: "CORRUPT_MESSAGE", 3: "UNKNOWN_TOPIC_OR_PARTITION", 5: "LEADER_NOT_AVAILABLE",
            6: "NOT_LEADER_OR_FOLLOWER", 7: "REQUEST_TIMED_OUT", 14: "COORDINATOR_LOAD_IN_PROGRESS", 15: "COORDINATOR_NOT_AVAILABLE",
            16: "NOT_COORDINATOR", 17: "INVALID_TOPIC_EXCEPTION", 22: "ILLEGAL_GENERATION", 25: "UNKNOWN_MEMBER_ID",
            27: "REBALANCE_IN_PROGRESS", 79: "MEMBER_ID_REQUIRED", 82: "FENCED_INSTANCE_ID", 35: "UNSUPPORTED_VERSION", 36: "TOPIC_ALREADY_EXISTS",
            37: "INVALID_PARTITIONS", 38: "INVALID_REPLICATION_FACTOR", 45: "OUT_OF_ORDER_SEQUENCE_NUMBER",
            46: "DUPLICATE_SEQUENCE_NUMBER", 47: "INVALID_PRODUCER_EPOCH", 48: "INVALID_TXN_STATE", 49: "INVALID_PRODUCER_ID_MAPPING",
            50: "INVALID_TRANSACTION_TIMEOUT", 51: "CONCURRENT_TRANSACTIONS", 52: "TRANSACTION_COORDINATOR_FENCED",
            59: "UNKNOWN_PRODUCER_ID", 74: "FENCED_LEADER_EPOCH", 75: "UNKNOWN_LEADER_EPOCH", 90: "PRODUCER_FENCED",
        ]
        return names[rawValue].map { "\($0) (\(rawValue))" } ?? "error code \(rawValue)"
    }
}
