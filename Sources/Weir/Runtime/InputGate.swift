import DequeModule
import Foundation

/// The input side of a task: one bounded queue per input channel, read by the task's thread and
/// written by the upstream subtasks' threads.
///
/// A channel holds at most `capacity` messages (each a batch of records or a control element);
/// a sender that finds it full waits. That wait is Weir's backpressure: a slow consumer slows
/// its producers down to its own pace while memory stays bounded by
/// `channels × capacity × batch size` records.
///
/// Wake-ups are batched both ways, because on a machine with fewer cores than task threads
/// every wake-up is a context switch: a waiting sender is woken once its channel has drained to
/// half, and a waiting receiver is woken by a batch of records only once half a channel's worth
/// is queued — at once for control elements and for ``wakeReceiver()``, which a sender calls
/// before it goes idle itself. The receiver's own timed wait bounds the rest.
@usableFromInline final class InputGate<Value: Sendable>: @unchecked Sendable {
    @usableFromInline let condition = NSCondition()
    @usableFromInline var queues: [Deque<ChannelMessage<Value>>]
    @usableFromInline let capacity: Int
    @usableFromInline var queued = 0
    @usableFromInline var nextChannel = 0
    @usableFromInline var cancelled = false
    @usableFromInline var receiverWaiting = false
    @usableFromInline var sendersWaiting = 0
    @usableFromInline var blocked: [Bool]
    @usableFromInline var interrupted = false

    @usableFromInline let channelCount: Int
    /// Where the time senders wait is added (the receiving operator's backpressure).
    @usableFromInline var backpressure: Counter?

    @inlinable init(channelCount: Int, capacity: Int) {
        precondition(channelCount > 0 && capacity > 0)
        self.channelCount = channelCount
        self.capacity = capacity
        self.queues = Array(repeating: Deque(), count: channelCount)
        self.blocked = Array(repeating: false, count: channelCount)
    }

    /// Stops delivering messages of `channel` (barrier alignment); its sender can still fill it.
    @inlinable func block(_ channel: Int) {
        condition.lock()
        blocked[channel] = true
        condition.unlock()
    }

    /// Delivers every channel again.
    @inlinable func unblockAll() {
        condition.lock()
        for index in blocked.indices { blocked[index] = false }
        condition.unlock()
    }

    /// Makes a waiting (or the next) `receive` return `nil` at once: the task has mail.
    @inlinable func interrupt() {
        condition.lock()
        interrupted = true
        condition.broadcast()
        condition.unlock()
    }

    /// Appends `message` to `channel`, waiting while the channel is full. A non-`urgent`
    /// message (a full batch from a busy sender) wakes the receiver only once enough is queued.
    /// - Throws: ``TaskCancelled`` once the job is being torn down.
    @inlinable func send(_ message: ChannelMessage<Value>, on channel: Int, urgent: Bool = true) throws {
        condition.lock()
        defer { condition.unlock() }
        if queues[channel].count >= capacity && !cancelled {
            let started = ProcessingClock.monotonicNanoseconds()
            while queues[channel].count >= capacity && !cancelled {
                sendersWaiting += 1
                condition.wait()
                sendersWaiting -= 1
            }
            backpressure?.add(Int(ProcessingClock.monotonicNanoseconds() - started))
        }
        if cancelled { throw TaskCancelled() }
        queues[channel].append(message)
        queued += 1
        if receiverWaiting && (urgent || queued >= wakeThreshold) { condition.broadcast() }
    }

    /// Wakes the receiver if it waits while messages are queued (a sender is about to go idle).
    @inlinable func wakeReceiver() {
        condition.lock()
        if receiverWaiting && queued > 0 { condition.broadcast() }
        condition.unlock()
    }

    @inlinable var wakeThreshold: Int { max(1, capacity / 2) }

    /// The next message of any channel, channels taken in turn so that none starves.
    ///
    /// Returns `nil` without waiting if nothing is queued and `deadline` is `nil`, or after
    /// waiting until `deadline` passed with nothing queued.
    /// - Throws: ``TaskCancelled`` once the job is being torn down.
    @inlinable func receive(waitingUntil deadline: Date?) throws -> (channel: Int, message: ChannelMessage<Value>)? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if cancelled { throw TaskCancelled() }
            if interrupted {
                interrupted = false
                return nil
            }
            if queued > 0 {
                var channel = nextChannel
                for _ in 0..<channelCount {
                    if !queues[channel].isEmpty && !blocked[channel] {
                        let message = queues[channel].removeFirst()
                        queued -= 1
                        nextChannel = channel + 1 == channelCount ? 0 : channel + 1
                        if sendersWaiting > 0 && queues[channel].count <= capacity / 2 { condition.broadcast() }
                        return (channel, message)
                    }
                    channel = channel + 1 == channelCount ? 0 : channel + 1
                }
            }
            guard let deadline else { return nil }
            receiverWaiting = true
            let signalled = condition.wait(until: deadline)
            receiverWaiting = false
            if !signalled && !cancelled && !interrupted { return nil }
        }
    }

    /// Wakes every waiting sender and the receiver; from now on both throw ``TaskCancelled``.
    @inlinable func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Number of queued messages over all channels (for metrics and tests).
    @inlinable var queuedMessages: Int {
        condition.lock()
        defer { condition.unlock() }
        return queued
    }
}
