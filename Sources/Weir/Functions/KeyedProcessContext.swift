/// What a ``KeyedProcessFunction`` sees while it handles a record or a timer.
public final class KeyedProcessContext<Key: StreamKey, Output: Sendable> {
    private let output: Weir.Output<Output>
    private let operatorContext: OperatorContext
    let eventTimers: TimerQueue<Key, NoNamespace>
    let processingTimers: TimerQueue<Key, NoNamespace>
    let keyContext: KeyContext<Key>

    /// Event timestamp of the record being processed, or the time of the firing timer.
    public internal(set) var timestamp: Int64 = StreamRecord<Output>.noTimestamp
    public internal(set) var currentWatermark = Watermark.initial

    init(output: Weir.Output<Output>, operatorContext: OperatorContext, keyContext: KeyContext<Key>) {
        self.output = output
        self.operatorContext = operatorContext
        self.keyContext = keyContext
        self.eventTimers = TimerQueue()
        self.processingTimers = TimerQueue()
    }

    /// The key being processed.
    public var key: Key { keyContext.currentKey }

    public var currentProcessingTime: Int64 { ProcessingClock.nowMilliseconds() }

    /// Emits `value` with the current timestamp.
    public func collect(_ value: Output) throws { try output.emit(value, timestamp: timestamp) }

    public func collect(_ value: Output, timestamp: Int64) throws { try output.emit(value, timestamp: timestamp) }

    /// Emits `value` to the side output `tag` (dropped if no stream consumes it).
    public func output<T: Sendable>(_ tag: OutputTag<T>, _ value: T) throws {
        try operatorContext.sideOutput(tag)?.emit(value, timestamp: timestamp)
    }

    /// Calls `onTimer` for the current key once the watermark reaches `time`.
    public func registerEventTimeTimer(at time: Int64) {
        eventTimers.register(Timer(timestamp: time, key: key, namespace: NoNamespace()))
    }

    public func deleteEventTimeTimer(at time: Int64) {
        eventTimers.delete(Timer(timestamp: time, key: key, namespace: NoNamespace()))
    }

    /// Calls `onTimer` for the current key once the wall clock reaches `time` (milliseconds since
    /// the epoch). Processing-time timers fire at the task's tick granularity (see
    /// ``RuntimeConfiguration/processingTimeTickMilliseconds``).
    public func registerProcessingTimeTimer(at time: Int64) {
        processingTimers.register(Timer(timestamp: time, key: key, namespace: NoNamespace()))
    }

    public func deleteProcessingTimeTimer(at time: Int64) {
        processingTimers.delete(Timer(timestamp: time, key: key, namespace: NoNamespace()))
    }
}
