/// The request types of the Kafka protocol this client speaks.
public enum APIKey: Int16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case apiVersions = 18
    case createTopics = 19
    case initProducerID = 22
    case addPartitionsToTxn = 24
    case addOffsetsToTxn = 25
    case endTxn = 26
    case txnOffsetCommit = 28

    public var description: String {
        switch self {
        case .produce: "Produce"
        case .fetch: "Fetch"
        case .listOffsets: "ListOffsets"
        case .metadata: "Metadata"
        case .offsetCommit: "OffsetCommit"
        case .offsetFetch: "OffsetFetch"
        case .findCoordinator: "FindCoordinator"
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
