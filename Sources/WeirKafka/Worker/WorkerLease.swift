import Synchronization
import Weir

/// How long a worker may still act for the group: until a session timeout after its last
/// heartbeat the coordinator accepted (on the monotonic clock, which runs on while the process
/// is stopped). A worker that was paused past that — SIGSTOP, a long GC-like stall, a frozen VM —
/// has probably lost its tasks to another worker; it must not complete another checkpoint (whose
/// transactions it would then commit) before a heartbeat confirms it is still a member.
///
/// A lease narrows the window in which two workers act for one task; it cannot close it (a pause
/// between the check and the write it guards is still possible: see docs/CLUSTER.md). The
/// task's Kafka transactional ids and the run claims of the checkpoint storage fence the rest.
public final class WorkerLease: Sendable {
    /// When the last accepted renewal was sent, and why the lease was revoked since (if it was).
    private let state = Mutex<(renewedAt: UInt64?, revoked: String?)>((nil, nil))
    /// How long a renewal holds.
    public let duration: Duration

    /// A lease that holds `duration` after each renewal (the group's session timeout, less a margin).
    public init(duration: Duration) { self.duration = duration }

    /// A heartbeat (or a join) sent at `sentAt` (`ProcessingClock.monotonicNanoseconds()`) was
    /// accepted: the lease counts from the sending, since the coordinator's session timer may
    /// have restarted no later than that.
    public func renew(sentAt: UInt64) {
        state.withLock { $0 = (max($0.renewedAt ?? 0, sentAt), nil) }
    }

    /// The worker gave up its tasks (a rebalance, a stop): nothing may act on the lease any more.
    public func revoke(_ why: String) {
        state.withLock { $0.revoked = why }
    }

    /// Throws unless the lease was renewed less than ``duration`` ago and not revoked since.
    public func check() throws {
        let (renewedAt, revoked) = state.withLock { $0 }
        if let revoked { throw WorkerError.leaseLost(revoked) }
        guard let renewedAt else { throw WorkerError.leaseLost("the worker has not joined the group yet") }
        let age = ProcessingClock.monotonicNanoseconds() &- renewedAt
        let limit = UInt64(max(0, duration.wholeMilliseconds)) * 1_000_000
        if age > limit {
            throw WorkerError.leaseLost("no heartbeat was accepted for \(age / 1_000_000) ms, longer than the lease of \(limit / 1_000_000) ms (was the worker paused?)")
        }
    }
}
