import Foundation
import Synchronization

/// Control messages from the checkpoint coordinator to one task, taken by the task's own
/// thread between records.
final class TaskMailbox: @unchecked Sendable {
    enum Mail: Sendable {
        /// Sources: record the position and inject this barrier.
        case trigger(CheckpointBarrier)
        case complete(checkpointID: Int64, isFinal: Bool)
        case aborted(checkpointID: Int64)
    }

    private let condition = NSCondition()
    private var mails: [Mail] = []
    private var cancelled = false
    private let pending = Atomic<Bool>(false)
    /// Wakes the task if it waits for input elsewhere (its input gate).
    var wake: (@Sendable () -> Void)?

    func post(_ mail: Mail) {
        condition.lock()
        mails.append(mail)
        pending.store(true, ordering: .releasing)
        condition.broadcast()
        condition.unlock()
        wake?()
    }

    /// Whether mail is waiting (a cheap check for the record loop).
    var hasMail: Bool { pending.load(ordering: .acquiring) }

    /// Everything posted so far, without waiting.
    func drain() -> [Mail] {
        condition.lock()
        defer { condition.unlock() }
        let taken = mails
        mails.removeAll()
        pending.store(false, ordering: .relaxed)
        return taken
    }

    /// Waits until something is posted (or `deadline`); throws once the job is cancelled.
    func wait(until deadline: Date) throws -> [Mail] {
        condition.lock()
        defer { condition.unlock() }
        while mails.isEmpty && !cancelled {
            if !condition.wait(until: deadline) { break }
        }
        if cancelled { throw TaskCancelled() }
        let taken = mails
        mails.removeAll()
        pending.store(false, ordering: .relaxed)
        return taken
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Identifies a task (a chain's parallel subtask) towards the coordinator.
struct TaskID: Hashable, Sendable, CustomStringConvertible {
    let head: Int
    let subtask: Int
    let name: String

    var description: String { "'\(name)' (subtask \(subtask + 1))" }

    static func == (lhs: TaskID, rhs: TaskID) -> Bool { lhs.head == rhs.head && lhs.subtask == rhs.subtask }
    func hash(into hasher: inout Hasher) {
        hasher.combine(head)
        hasher.combine(subtask)
    }
}
