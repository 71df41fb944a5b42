/// The request types of the Kafka protocol this client speaks.
public enum APIKey: Int16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The `Produce` request (API key 0).
    case produce = 0
    /// The `Fetch` request (API key 1).
    case fetch = 1
    /// The `ListOffsets` request (API key 2).
    case listOffsets = 2
    /// The `Metadata` request (API key 3).
    case metadata = 3
    /// The `OffsetCommit` request (API key 8).
    case offsetCommit = 8
    /// The `OffsetFetch` request (API key 9).
    case offsetFetch = 9
    /// The `FindCoordinator` request (API key 10).
    case findCoordinator = 10
    /// The `JoinGroup` request (API key 11).
    case joinGroup = 11
    /// The `Heartbeat` request (API key 12).
    case heartbeat = 12
    /// The `LeaveGroup` request (API key 13).
    case leaveGroup = 13
    /// The `SyncGroup` request (API key 14).
    case syncGroup = 14
    /// The `DescribeGroups` request (API key 15).
    case describeGroups = 15
    /// The `ApiVersions` request (API key 18).
    case apiVersions = 18
    /// The `CreateTopics` request (API key 19).
    case createTopics = 19
    /// The `InitProducerId` request (API key 22).
    case initProducerID = 22
    /// The `AddPartitionsToTxn` request (API key 24).
    case addPartitionsToTxn = 24
    /// The `AddOffsetsToTxn` request (API key 25).
    case addOffsetsToTxn = 25
    /// The `EndTxn` request (API key 26).
    case endTxn = 26
    /// The `TxnOffsetCommit` request (API key 28).
    case txnOffsetCommit = 28

    /// The request's name in the Kafka protocol, e.g. `EndTxn`.
    public var description: String {
        switch self {
        case .produce: "Produce"
        case .fetch: "Fetch"
        case .listOffsets: "ListOffsets"
        case .metadata: "Metadata"
        case .offsetCommit: "OffsetCommit"
        case .offsetFetch: "OffsetFetch"
        case .findCoordinator: "FindCoordinator"
        case .joinGroup: "JoinGroup"
        case .heartbeat: "Heartbeat"
        case .leaveGroup: "LeaveGroup"
        case .syncGroup: "SyncGroup"
        case .describeGroups: "DescribeGroups"
        case .apiVersions: "ApiVersions"
        case .createTopics: "CreateTopics"
        case .initProducerID: "InitProducerId"
        case .addPartitionsToTxn: "AddPartitionsToTxn"
        case .addOffsetsToTxn: "AddOffsetsToTxn"
        case .endTxn: "EndTxn"
        case .txnOffsetCommit: "TxnOffsetCommit"
        }
    }
}
