import NIOCore
import Weir

/// A member of a Kafka consumer group — Kafka's membership, failure detection and assignment,
/// which Weir's workers use instead of a cluster of their own. It sends what
/// ``GroupMemberState`` decides: JoinGroup (a long poll that returns when the rebalance is
/// agreed), SyncGroup (the leader's assignment out, each member's in), Heartbeat (every third
/// of the session timeout, by the caller), LeaveGroup.
///
/// With `instanceID` (static membership, KIP-345) a member that restarts within the session
/// timeout gets its assignment back without a rebalance of the others.
package actor GroupMember {
    package struct Generation: Sendable, Hashable {
        package var generationID: Int32
        package var memberID: String
        package var isLeader: Bool
        package var assignment: ByteBuffer
        /// When the SyncGroup that brought the assignment was sent
        /// (`ProcessingClock.monotonicNanoseconds()`): the coordinator restarted the member's
        /// session timer no earlier, so a lease may count from here — not from the JoinGroup,
        /// which waits for the whole rebalance.
        package var syncSentAt: UInt64
    }

    package let client: KafkaClient
    package let groupID: String
    package let instanceID: String?
    package let sessionTimeout: Duration
    package let rebalanceTimeout: Duration
    package let protocolName: String
    /// This member's metadata in its JoinGroup (what it owns now, for a sticky assignment).
    let metadata: @Sendable () -> ByteBuffer
    /// The leader's assignment: members with their metadata → assignment per member id.
    let assign: @Sendable ([JoinGroupRequest.Member]) -> [String: ByteBuffer]
    var machine = GroupMemberState()
    var coordinator: BrokerAddress?
    var isLeader = false

    package init(client: KafkaClient, groupID: String, instanceID: String? = nil, sessionTimeout: Duration = .seconds(10),
                 rebalanceTimeout: Duration = .seconds(30), protocolName: String = "weir-tasks",
                 metadata: @escaping @Sendable () -> ByteBuffer, assign: @escaping @Sendable ([JoinGroupRequest.Member]) -> [String: ByteBuffer]) {
        self.client = client
        self.groupID = groupID
        self.instanceID = instanceID
        self.sessionTimeout = sessionTimeout
        self.rebalanceTimeout = rebalanceTimeout
        self.protocolName = protocolName
        self.metadata = metadata
        self.assign = assign
    }

    package var memberID: String { machine.memberID }
    package var state: GroupMemberState.State { machine.state }

    /// Joins (or joins again) and returns the agreed generation and this member's assignment.
    package func join() async throws -> Generation {
        var action = machine.join()
        var syncSentAt: UInt64 = 0
        while true {
            // A coordinator that never ends the rebalance makes each JoinGroup time out and go
            // again: the caller's cancellation is the way out.
            try Task.checkCancellation()
            switch action {
            case .sendJoin(let memberID):
                let request = JoinGroupRequest(groupID: groupID, sessionTimeoutMilliseconds: Int32(sessionTimeout.wholeMilliseconds),
                                               rebalanceTimeoutMilliseconds: Int32(rebalanceTimeout.wholeMilliseconds), memberID: memberID,
                                               groupInstanceID: instanceID, protocolType: "consumer",
                                               protocols: [.init(name: protocolName, metadata: metadata())])
                guard let response = try await send(request, timeout: rebalanceTimeout + .seconds(5), code: \.errorCode) else { continue }
                isLeader = response.errorCode == .none && response.leader == response.memberID
                action = machine.joined(response)
            case .sendSync(let generation, let memberID, let members):
                let assignments = members.isEmpty ? [] : assign(members).sorted { $0.key < $1.key }.map { SyncGroupRequest.Assignment(memberID: $0.key, assignment: $0.value) }
                let request = SyncGroupRequest(groupID: groupID, generationID: generation, memberID: memberID, groupInstanceID: instanceID, assignments: assignments)
                syncSentAt = ProcessingClock.monotonicNanoseconds()
                guard let response = try await send(request, timeout: rebalanceTimeout + .seconds(5), code: \.errorCode) else { continue }
                action = machine.synced(response)
            case .assigned(let generation, let assignment):
                return Generation(generationID: generation, memberID: machine.memberID, isLeader: isLeader, assignment: assignment, syncSentAt: syncSentAt)
            case .stop(let reason):
                throw KafkaError.groupMembership(group: groupID, reason: reason)
            case .none:
                throw KafkaError.groupMembership(group: groupID, reason: "left the group")
            }
        }
    }

    /// What one heartbeat found.
    package enum HeartbeatOutcome: Sendable, Equatable {
        /// The coordinator accepted it: the generation holds (a worker's lease is renewed).
        case accepted
        /// No answer (the coordinator moved or the connection broke): try again soon; the
        /// generation may or may not hold.
        case unanswered
        /// A rebalance started, or the member's session expired while it was paused — its tasks
        /// may be running elsewhere by now: stop them, then ``join()`` again.
        case rejoin
    }

    /// One heartbeat: `true` unless the member must call ``join()`` again.
    package func heartbeat() async throws -> Bool {
        try await heartbeatOutcome() != .rejoin
    }

    /// One heartbeat, with whether the coordinator answered.
    package func heartbeatOutcome() async throws -> HeartbeatOutcome {
        guard case let .stable(generation, memberID, _) = machine.state else { return .rejoin }
        let request = HeartbeatRequest(groupID: groupID, generationID: generation, memberID: memberID, groupInstanceID: instanceID)
        guard let response = try await send(request, timeout: sessionTimeout, code: \.errorCode) else { return .unanswered }
        switch machine.heartbeat(response.errorCode) {
        case .stop(let reason): throw KafkaError.groupMembership(group: groupID, reason: reason)
        case .sendJoin: return .rejoin
        // Only a plain answer renews a lease; an error the machine lets pass is not an acceptance.
        default: return response.errorCode == .none ? .accepted : .unanswered
        }
    }

    /// Leaves at once, so that the others rebalance without waiting for the session timeout.
    /// (A static member that leaves this way gives up its instance's assignment.)
    package func leave() async throws {
        let memberID = machine.memberID
        machine.leave()
        guard !memberID.isEmpty else { return }
        _ = try await send(LeaveGroupRequest(groupID: groupID, members: [.init(memberID: memberID, groupInstanceID: instanceID)]),
                           timeout: .seconds(5), code: \.errorCode)
    }

    /// Sends to the group's coordinator; `nil` (after a short wait) when the coordinator moved or
    /// is loading, so that the caller sends again to the one found anew.
    func send<Request: KafkaRequest>(_ request: Request, timeout: Duration, code: KeyPath<Request.Response, KafkaErrorCode>) async throws -> Request.Response? {
        let address: BrokerAddress
        if let coordinator { address = coordinator } else {
            address = try await client.coordinator(of: groupID, type: .group)
            coordinator = address
        }
        let response: Request.Response
        do {
            response = try await client.send(request, to: address, timeout: timeout)
        } catch let error as KafkaError {
            switch error {
            case .connectionClosed, .connectionFailed, .timedOut:
                coordinator = nil
                try await Task.sleep(for: .milliseconds(200))
                return nil
            default: throw error
            }
        }
        switch response[keyPath: code] {
        case .notCoordinator, .coordinatorNotAvailable, .coordinatorLoadInProgress:
            coordinator = nil
            try await Task.sleep(for: .milliseconds(100))
            return nil
        default:
            return response
        }
    }
}
