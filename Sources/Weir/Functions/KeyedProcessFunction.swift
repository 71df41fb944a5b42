/// Low-level processing of a keyed stream with keyed state and timers (Flink's
/// `KeyedProcessFunction`). One instance runs per parallel subtask; declare state in `open`.
///
/// ```swift
/// final class CountWithTimeout: KeyedProcessFunction {
///     var count: ValueState<Int>!
///     func open(_ context: KeyedRuntimeContext<String>) throws {
///         count = try context.state(ValueStateDescriptor<Int>("count"))
///     }
///     func processElement(_ word: String, context: KeyedProcessContext<String, (String, Int)>) throws {
///         count.value = (count.value ?? 0) + 1
///         context.registerEventTimeTimer(at: context.timestamp + 60_000)
///     }
///     func onTimer(_ timestamp: Int64, domain: TimeDomain, context: KeyedProcessContext<String, (String, Int)>) throws {
///         try context.collect((context.key, count.value ?? 0))
///     }
/// }
/// ```
public protocol KeyedProcessFunction<Key, Input, Output>: AnyObject {
    /// The key of the keyed stream.
    associatedtype Key: StreamKey
    /// The records processed.
    associatedtype Input: Sendable
    /// What the function emits.
    associatedtype Output: Sendable

    /// Called once per subtask before the first record: register state here.
    func open(_ context: KeyedRuntimeContext<Key>) throws
    /// Called for each record, with the record's key's state in scope.
    func processElement(_ value: Input, context: KeyedProcessContext<Key, Output>) throws
    /// Called when a timer of the key in scope fires.
    func onTimer(_ timestamp: Int64, domain: TimeDomain, context: KeyedProcessContext<Key, Output>) throws
}

extension KeyedProcessFunction {
    /// Registers no state.
    @inlinable public func open(_ context: KeyedRuntimeContext<Key>) throws {}
    /// Ignores timers.
    @inlinable public func onTimer(_ timestamp: Int64, domain: TimeDomain, context: KeyedProcessContext<Key, Output>) throws {}
}

/// The time domain a timer belongs to.
public enum TimeDomain: Sendable, Hashable {
    /// Fires when the watermark passes the timer's timestamp.
    case eventTime
    /// Fires when the wall clock passes the timer's timestamp.
    case processingTime
}
