import NIOCore

/// One member's side of Kafka's group protocol as an explicit machine:
///
/// ```
/// unjoined ──join──▶ joining ──JoinGroup ok──▶ syncing ──SyncGroup ok──▶ stable(generation, assignment)
///    ▲                  │ MEMBER_ID_REQUIRED: joining again with the id        │ Heartbeat: REBALANCE_IN_PROGRESS
///    │                  ▼                                                       ▼
///    └── UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION (session expired) ──── joining (same member id)
///                      FENCED_INSTANCE_ID ──▶ fenced (another process has this instance id)
/// leave ──▶ left
/// ```
///
/// The machine decides; ``GroupMember`` only sends what it says and feeds it the answers.
package struct GroupMemberState: Sendable {
    package enum State: Sendable, Hashable {
        case unjoined
        /// A JoinGroup is under way with this member id (empty: the coordinator names one).
        case joining(memberID: String)
        /// Joined generation `generation`; the SyncGroup is under way.
        case syncing(generation: Int32, memberID: String, leader: Bool)
        /// The group agreed on an assignment for `generation`.
        case stable(generation: Int32, memberID: String, assignment: ByteBuffer)
        /// Another member took this static member's instance id: this process must stop.
        case fenced(String)
        case left
    }

    /// What the member does next.
    package enum Action: Sendable, Hashable {
        case sendJoin(memberID: String)
        /// Leader: assign `members` and send the assignments; follower: `members` is empty.
        case sendSync(generation: Int32, memberID: String, members: [JoinGroupRequest.Member])
        /// The assignment of `generation` holds until a heartbeat says otherwise.
        case assigned(generation: Int32, assignment: ByteBuffer)
        case stop(String)
        case none
    }

    package private(set) var state: State = .unjoined

    package init() {}

    /// The member id once the coordinator gave one.
    package var memberID: String {
        switch state {
        case .joining(let id), .syncing(_, let id, _), .stable(_, let id, _): id
        case .unjoined, .fenced, .left: ""
        }
    }

    package mutating func join() -> Action {
        switch state {
        case .unjoined: state = .joining(memberID: "")
        case .stable(_, let id, _), .syncing(_, let id, _), .joining(let id): state = .joining(memberID: id)
        case .fenced(let why): return .stop(why)
        case .left: return .none
        }
        return .sendJoin(memberID: memberID)
    }

    package mutating func joined(_ response: JoinGroupRequest.Response) -> Action {
        guard case .joining = state else { return .none }
        switch response.errorCode {
        case .none:
            let leader = response.leader == response.memberID
            state = .syncing(generation: response.generationID, memberID: response.memberID, leader: leader)
            return .sendSync(generation: response.generationID, memberID: response.memberID, members: leader ? response.members : [])
        case .memberIDRequired:
            state = .joining(memberID: response.memberID)
            return .sendJoin(memberID: response.memberID)
        case .unknownMemberID:
            state = .joining(memberID: "")
            return .sendJoin(memberID: "")
        case .rebalanceInProgress, .illegalGeneration, .coordinatorLoadInProgress:
            return .sendJoin(memberID: memberID)
        case .fencedInstanceID:
            return fence("another process joined with this member's instance id (\(response.errorCode))")
        default:
            return .stop("JoinGroup failed: \(response.errorCode)")
        }
    }

    package mutating func synced(_ response: SyncGroupRequest.Response) -> Action {
        guard case let .syncing(generation, id, _) = state else { return .none }
        switch response.errorCode {
        case .none:
            state = .stable(generation: generation, memberID: id, assignment: response.assignment)
            return .assigned(generation: generation, assignment: response.assignment)
        case .rebalanceInProgress, .illegalGeneration:
            state = .joining(memberID: id)
            return .sendJoin(memberID: id)
        case .unknownMemberID:
            state = .joining(memberID: "")
            return .sendJoin(memberID: "")
        case .fencedInstanceID:
            return fence("another process joined with this member's instance id (\(response.errorCode))")
        default:
            return .stop("SyncGroup failed: \(response.errorCode)")
        }
    }

    /// A heartbeat's answer: nothing, or a rebalance (join again), or the session is gone.
    package mutating func heartbeat(_ code: KafkaErrorCode) -> Action {
        guard case let .stable(_, id, _) = state else { return .none }
        switch code {
        case .none: return .none
        case .rebalanceInProgress:
            state = .joining(memberID: id)
            return .sendJoin(memberID: id)
        case .unknownMemberID, .illegalGeneration:
            // The coordinator expired this member (it was paused past its session timeout): its
            // tasks may run elsewhere by now.
            state = .joining(memberID: "")
            return .sendJoin(memberID: "")
        case .fencedInstanceID:
            return fence("another process joined with this member's instance id (\(code))")
        default:
            return .none
        }
    }

    package mutating func leave() { state = .left }

    mutating func fence(_ why: String) -> Action {
        state = .fenced(why)
        return .stop(why)
    }
}
