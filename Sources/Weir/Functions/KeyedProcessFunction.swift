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
    associatedtype Key: StreamKey
    associatedtype Input: Sendable
    associatedtype Output: Sendable

    func open(_ context: KeyedRuntimeContext<Key>) throws
    func processElement(_ value: Input, context: KeyedProcessContext<Key, Output>) throws
    func onTimer(_ timestamp: Int64, domain: TimeDomain, context: KeyedProcessContext<Key, Output>) throws
}

extension KeyedProcessFunction {
    @inlinable public func open(_ context: KeyedRuntimeContext<Key>) throws {}
    @inlinable public func onTimer(_ timestamp: Int64, domain: TimeDomain, context: KeyedProcessContext<Key, Output>) throws {}
}

/// The time domain a timer belongs to.
public enum TimeDomain: Sendable, Hashable {
    case eventTime
    case processingTime
}
