/// Assigns event timestamps and generates watermarks according to a ``WatermarkStrategy``.
///
/// Watermarks are generated from the records (deterministic: every `emitEvery` records, if the
/// watermark advanced) and, for slow inputs, on processing-time advances at most every
/// `periodicInterval`. Upstream watermarks are ignored except the end-of-time watermark of a
/// finished input. If no record arrived for the strategy's idle timeout, the subtask is
/// declared idle so that it does not hold back downstream watermarks.
final class TimestampsAndWatermarksOperator<Value: Sendable>: OneOutputOperator {
    let output: Output<Value>
    private let strategy: WatermarkStrategy<Value>
    private var maxTimestamp = Int64.min
    private var emitted = Watermark.initial
    private var recordsSinceEmit = 0
    private var lastRecordAt = ProcessingClock.nowMilliseconds()
    private var lastEmitAt = ProcessingClock.nowMilliseconds()
    private var idle = false

    init(output: Output<Value>, strategy: WatermarkStrategy<Value>) {
        self.strategy = strategy
        self.output = output
    }

    func processRecord(_ value: Value, timestamp: Int64) throws {
        let eventTime = strategy.timestampAssigner.map { $0(value, timestamp) } ?? timestamp
        if idle {
            idle = false
            try output.emitIdleness(false)
        }
        if eventTime > maxTimestamp { maxTimestamp = eventTime }
        recordsSinceEmit += 1
        try output.emit(value, timestamp: eventTime)
        if recordsSinceEmit >= strategy.emitEvery { try emitIfAdvanced() }
    }

    private func currentWatermark() -> Watermark {
        guard maxTimestamp != Int64.min else { return .initial }
        return Watermark(maxTimestamp &- strategy.outOfOrdernessMilliseconds &- 1)
    }

    private func emitIfAdvanced() throws {
        recordsSinceEmit = 0
        let watermark = currentWatermark()
        if watermark > emitted {
            emitted = watermark
            lastEmitAt = ProcessingClock.nowMilliseconds()
            try output.emitWatermark(watermark)
        }
    }

    func advanceProcessingTime(to now: Int64) throws {
        if recordsSinceEmit > 0 {
            lastRecordAt = now
            if now - lastEmitAt >= strategy.periodicIntervalMilliseconds { try emitIfAdvanced() }
        } else if let timeout = strategy.idleTimeoutMilliseconds, !idle, now - lastRecordAt >= timeout {
            idle = true
            try output.emitIdleness(true)
        }
        try output.advanceProcessingTime(to: now)
    }

    func processWatermark(_ watermark: Watermark) throws {
        if watermark == .endOfTime, emitted != .endOfTime {
            emitted = .endOfTime
            try output.emitWatermark(watermark)
        }
    }

    func processIdleness(_ idle: Bool) throws {}

    func finish() throws {
        try processWatermark(.endOfTime)
        try output.finish()
    }
}
