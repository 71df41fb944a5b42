/// How a stream's event timestamps are taken and its watermarks generated.
///
/// ```swift
/// let strategy = WatermarkStrategy<Reading>
///     .boundedOutOfOrderness(.seconds(5))
///     .withTimestampAssigner { $0.time }
///     .withIdleness(.seconds(30))
/// let readings = stream.assignTimestampsAndWatermarks(strategy)
/// ```
public struct WatermarkStrategy<Value: Sendable>: Sendable {
    /// How far behind the largest timestamp seen the watermark trails (event time is kept in
    /// milliseconds; set it with ``boundedOutOfOrderness(_:)``).
    @usableFromInline var outOfOrdernessMilliseconds: Int64
    /// Takes a record's event time from the value and its current timestamp; `nil` keeps the
    /// timestamp the record already has (a generator's, for example).
    public var timestampAssigner: (@Sendable (Value, Int64) -> Int64)?
    /// A subtask that sees no record for this long is marked idle and stops holding back the
    /// downstream watermark. `nil` (the default): never idle.
    @usableFromInline var idleTimeoutMilliseconds: Int64?
    /// Also generate a watermark after this many records (if it advanced). `nil` (the
    /// default): only periodically. `1` makes lateness fully deterministic, for tests; small
    /// values cost throughput, since every watermark sends the partly filled batches ahead of it.
    public var emitEvery: Int?
    /// Generate the advanced watermark every this much processing time. Default 200 ms
    /// (Flink's auto-watermark interval); windows fire that much later at most.
    @usableFromInline var periodicIntervalMilliseconds: Int64 = 200

    /// How far behind the largest timestamp seen the watermark trails.
    @inlinable public var outOfOrderness: Duration { .milliseconds(outOfOrdernessMilliseconds) }
    /// After how long without records a subtask (or split) is idle; `nil`: never.
    @inlinable public var idleTimeout: Duration? { idleTimeoutMilliseconds.map { .milliseconds($0) } }
    /// How often the advanced watermark is generated, in processing time.
    @inlinable public var periodicInterval: Duration { .milliseconds(periodicIntervalMilliseconds) }
    /// The bound and the idle timeout, as every generator applies them.
    @inlinable var bound: WatermarkBound {
        WatermarkBound(outOfOrdernessMilliseconds: outOfOrdernessMilliseconds, idleTimeoutMilliseconds: idleTimeoutMilliseconds)
    }

    @inlinable init(outOfOrdernessMilliseconds: Int64) {
        self.outOfOrdernessMilliseconds = outOfOrdernessMilliseconds
    }

    /// Timestamps that never decrease: the watermark is the largest timestamp seen minus 1 ms.
    @inlinable public static func monotonousTimestamps() -> WatermarkStrategy {
        WatermarkStrategy(outOfOrdernessMilliseconds: 0)
    }

    /// Records arrive at most `bound` later than a record with a larger timestamp.
    @inlinable public static func boundedOutOfOrderness(_ bound: Duration) -> WatermarkStrategy {
        precondition(bound >= .zero, "out-of-orderness bound must not be negative")
        return WatermarkStrategy(outOfOrdernessMilliseconds: bound.wholeMilliseconds)
    }

    /// Takes event time from the value.
    @inlinable public func withTimestampAssigner(_ assigner: @escaping @Sendable (Value) -> Int64) -> WatermarkStrategy {
        var copy = self
        copy.timestampAssigner = { value, _ in assigner(value) }
        return copy
    }

    /// Marks a subtask idle after `timeout` without records.
    @inlinable public func withIdleness(_ timeout: Duration) -> WatermarkStrategy {
        var copy = self
        copy.idleTimeoutMilliseconds = timeout.wholeMilliseconds
        return copy
    }

    /// Generates the watermark every `interval` of processing time (see
    /// ``periodicInterval``).
    @inlinable public func emittingWatermarks(every interval: Duration) -> WatermarkStrategy {
        precondition(interval > .zero)
        var copy = self
        copy.periodicIntervalMilliseconds = max(1, interval.wholeMilliseconds)
        return copy
    }

    /// Also generates a watermark after every `records` records (see ``emitEvery``).
    @inlinable public func emittingWatermarks(everyRecords records: Int) -> WatermarkStrategy {
        precondition(records > 0)
        var copy = self
        copy.emitEvery = records
        return copy
    }
}
