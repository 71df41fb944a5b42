/// A group of workers as its coordinator describes it (DescribeGroups): its state, and each
/// worker with the tasks the current generation gave it. What `weir group` shows.
public struct WorkerGroupStatus: Sendable, Hashable {
    /// One member of the group.
    public struct Worker: Sendable, Hashable {
        /// The member id the coordinator gave it.
        public var memberID: String
        /// Its static instance id, if it has one (and the broker reports it).
        public var instanceID: String?
        /// The address the coordinator sees it at.
        public var host: String
        /// Its tasks' input partitions; `nil` when its assignment is not in Weir's format (a
        /// member of another Weir version, or not a Weir worker).
        public var tasks: [TopicPartition]?
        /// Whether the coordinator reported an assignment at all: Tansu 0.6 describes members
        /// with empty assignments, so `tasks` is empty there however many the worker runs.
        public var assignmentReported: Bool
    }

    /// The group's id.
    public var group: String
    /// `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty` or `Dead` (Kafka's names).
    public var state: String
    /// The protocol the members agreed on (Weir's workers: `weir-tasks-1`).
    public var protocolName: String
    /// The members, by member id.
    public var workers: [Worker]

    /// The group the workers of `group` store their tasks' positions in, as of each task's
    /// latest completed checkpoint (a group without members: for monitoring, the tasks read
    /// their positions from their checkpoints).
    public static func positionsGroup(of group: String) -> String { group + ".positions" }

    /// Asks the group's coordinator.
    public static func describe(group: String, client: KafkaClient) async throws -> WorkerGroupStatus {
        let coordinator = try await client.coordinator(of: group, type: .group)
        guard let described = try await client.send(DescribeGroupsRequest(groupIDs: [group]), to: coordinator).first(where: { $0.groupID == group }) else {
            throw KafkaError.groupMembership(group: group, reason: "the coordinator \(coordinator) did not describe the group")
        }
        guard described.errorCode == .none else {
            throw KafkaError.broker(described.errorCode, api: .describeGroups, broker: coordinator, message: "group \(group)")
        }
        let workers = described.members.map { member in
            Worker(memberID: member.memberID, instanceID: member.groupInstanceID, host: member.clientHost,
                   tasks: try? TaskAssignmentCodec.decode(member.assignment), assignmentReported: member.assignment.readableBytes > 0)
        }.sorted { $0.memberID < $1.memberID }
        return WorkerGroupStatus(group: group, state: described.state, protocolName: described.protocolName, workers: workers)
    }
}
