/// What a ``KeyedProcessFunction`` sees while it handles a record or a timer.
public final class KeyedProcessContext<Key: StreamKey, Output: Sendable> {
    @usableFromInline let output: Weir.Output<Output>
    @usableFromInline let operatorContext: OperatorContext
    @usableFromInline let eventTimers: TimerQueue<Key, NoNamespace>
    @usableFromInline let processingTimers: TimerQueue<Key, NoNamespace>
    @usableFromInline let keyContext: KeyContext<Key>

    /// Event timestamp of the record being processed, or the time of the firing timer.
    @inlinable public var timestamp: Int64 { currentTimestamp }
    /// The current watermark of the operator.
    @inlinable public var currentWatermark: Watermark { watermark }
    @usableFromInline var currentTimestamp: Int64 = StreamRecord<Output>.noTimestamp
    @usableFromInline var watermark = Watermark.initial

    @inlinable init(output: Weir.Output<Output>, operatorContext: OperatorContext, keyContext: KeyContext<Key>) {
        self.output = output
        self.operatorContext = operatorContext
        self.keyContext = keyContext
        self.eventTimers = TimerQueue()
        self.processingTimers = TimerQueue()
    }

    /// The key being processed.
    @inlinable public var key: Key { keyContext.currentKey }

    /// The wall clock, in milliseconds since 1970.
    @inlinable public var currentProcessingTime: Int64 { ProcessingClock.nowMilliseconds() }

    /// Emits `value` with the current timestamp.
    @inlinable public func collect(_ value: Output) throws { try output.emit(value, timestamp: timestamp) }

    /// Emits `value` downstream with an explicit event timestamp.
    @inlinable public func collect(_ value: Output, timestamp: Int64) throws { try output.emit(value, timestamp: timestamp) }

    /// Emits `value` to the side output `tag` (dropped if no stream consumes it).
    @inlinable public func output<T: Sendable>(_ tag: OutputTag<T>, _ value: T) throws {
        try operatorContext.sideOutput(tag)?.emit(value, timestamp: timestamp)
    }

    /// Calls `onTimer` for the current key once the watermark reaches `time`.
    @inlinable public func registerEventTimeTimer(at time: Int64) {
        eventTimers.register(Timer(timestamp: time, key: key, namespace: NoNamespace()))
    }

    /// Removes the current key's event-time timer at `time`, if one is registered.
    @inlinable public func deleteEventTimeTimer(at time: Int64) {
        eventTimers.delete(Timer(timestamp: time, key: key, namespace: NoNamespace()))
    }

    /// Calls `onTimer` for the current key once the wall clock reaches `time` (milliseconds since
    /// the epoch). Processing-time timers fire at the task's tick granularity (see
    /// ``RuntimeConfiguration/processingTimeTick``).
    @inlinable public func registerProcessingTimeTimer(at time: Int64) {
        processingTimers.register(Timer(timestamp: time, key: key, namespace: NoNamespace()))
    }

    /// Removes the current key's processing-time timer at `time`, if one is registered.
    @inlinable public func deleteProcessingTimeTimer(at time: Int64) {
        processingTimers.delete(Timer(timestamp: time, key: key, namespace: NoNamespace()))
    }
}
