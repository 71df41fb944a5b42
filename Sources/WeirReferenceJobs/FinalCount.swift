import Weir

/// Counts the records of each key and emits `(key, count)` once, when event time ends.
///
/// Its output appears only at the very end of a job, so it is the same whatever failures and
/// restarts happened before: what the exactly-once tests of state compare with the input.
public final class FinalCount: KeyedProcessFunction {
    public struct Count: Sendable, Hashable, Codable {
        public var key: Int
        public var count: Int64
    }

    @usableFromInline var count: ValueState<Int64>!

    public init() {}

    public func open(_ context: KeyedRuntimeContext<Int>) throws {
        count = try context.state(ValueStateDescriptor<Int64>("count"))
    }

    public func processElement(_ value: ReferenceEvent, context: KeyedProcessContext<Int, Count>) throws {
        if count.value == nil { context.registerEventTimeTimer(at: Int64.max) }
        count.value = (count.value ?? 0) + 1
    }

    public func onTimer(_ timestamp: Int64, domain: TimeDomain, context: KeyedProcessContext<Int, Count>) throws {
        try context.collect(Count(key: context.key, count: count.value ?? 0))
    }
}

extension ReferenceWorkload {
    /// The number of events of each key, computed directly.
    public func expectedCounts() -> [Int: Int64] {
        var counts: [Int: Int64] = [:]
        for index in 0..<events { counts[Int(index % Int64(keys)), default: 0] += 1 }
        return counts
    }
}
