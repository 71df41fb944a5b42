import Foundation
import Synchronization

/// Control messages from the checkpoint coordinator to one task, taken by the task's own
/// thread between records.
@usableFromInline final class TaskMailbox: @unchecked Sendable {
    @usableFromInline enum Mail: Sendable {
        /// Sources: record the position and inject this barrier.
        case trigger(CheckpointBarrier)
        case complete(checkpointID: Int64, isFinal: Bool)
        case aborted(checkpointID: Int64)
    }

    @usableFromInline let condition = NSCondition()
    @usableFromInline var mails: [Mail] = []
    @usableFromInline var cancelled = false
    @usableFromInline let pending = Atomic<Bool>(false)
    /// Wakes the task if it waits for input elsewhere (its input gate).
    @usableFromInline var wake: (@Sendable () -> Void)?

    @usableFromInline func post(_ mail: Mail) {
        condition.lock()
        mails.append(mail)
        pending.store(true, ordering: .releasing)
        condition.broadcast()
        condition.unlock()
        wake?()
    }

    /// Whether mail is waiting (a cheap check for the record loop).
    @usableFromInline var hasMail: Bool { pending.load(ordering: .acquiring) }

    /// Everything posted so far, without waiting.
    @usableFromInline func drain() -> [Mail] {
        condition.lock()
        defer { condition.unlock() }
        let taken = mails
        mails.removeAll()
        pending.store(false, ordering: .relaxed)
        return taken
    }

    /// Waits until something is posted (or `deadline`); throws once the job is cancelled.
    @usableFromInline func wait(until deadline: Date) throws -> [Mail] {
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

    @usableFromInline func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Identifies a task (a chain's parallel subtask) towards the coordinator.
@usableFromInline struct TaskID: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline let head: Int
    @usableFromInline let subtask: Int
    @usableFromInline let name: String

    @usableFromInline var description: String { "'\(name)' (subtask \(subtask + 1))" }

    @usableFromInline static func == (lhs: TaskID, rhs: TaskID) -> Bool { lhs.head == rhs.head && lhs.subtask == rhs.subtask }
    @usableFromInline func hash(into hasher: inout Hasher) {
        hasher.combine(head)
        hasher.combine(subtask)
    }
}
