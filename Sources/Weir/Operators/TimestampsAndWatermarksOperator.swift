/// Assigns event timestamps and generates watermarks according to a ``WatermarkStrategy``.
///
/// The watermark is generated periodically in processing time (every `periodicInterval`, if it
/// advanced) and, if the strategy says so, after every `emitEvery` records (deterministic, for
/// tests). Upstream watermarks are ignored except the end-of-time watermark of a finished
/// input. If no record arrived for the strategy's idle timeout, the subtask is declared idle so
/// that it does not hold back downstream watermarks.
final class TimestampsAndWatermarksOperator<Value: Sendable>: OneOutputOperator {
    let output: Output<Value>
    private let strategy: WatermarkStrategy<Value>
    private var maxTimestamp = Int64.min
    private var emitted = Watermark.initial
    private var recordsSinceEmit = 0
    private var sawRecordSinceTick = false
    private var lastRecordAt: Int64
    private var lastEmitAt: Int64
    private var idle = false
    private var metrics: OperatorMetrics?

    func open(_ context: OperatorContext) throws { metrics = context.metrics }

    init(output: Output<Value>, strategy: WatermarkStrategy<Value>, now: Int64 = ProcessingClock.nowMilliseconds()) {
        self.strategy = strategy
        self.output = output
        self.lastRecordAt = now
        self.lastEmitAt = now
    }

    func processRecord(_ value: Value, timestamp: Int64) throws {
        let eventTime = strategy.timestampAssigner.map { $0(value, timestamp) } ?? timestamp
        if idle {
            idle = false
            try output.emitIdleness(false)
        }
        if eventTime > maxTimestamp { maxTimestamp = eventTime }
        sawRecordSinceTick = true
        try output.emit(value, timestamp: eventTime)
        if let every = strategy.emitEvery {
            recordsSinceEmit += 1
            if recordsSinceEmit >= every { try emitIfAdvanced() }
        }
    }

    private func currentWatermark() -> Watermark {
        guard maxTimestamp != Int64.min else { return .initial }
        return Watermark(maxTimestamp &- strategy.outOfOrdernessMilliseconds &- 1)
    }

    private func emitIfAdvanced(now: Int64? = nil) throws {
        recordsSinceEmit = 0
        lastEmitAt = now ?? ProcessingClock.nowMilliseconds()
        let watermark = currentWatermark()
        if watermark > emitted {
            emitted = watermark
            metrics?.observeWatermark(watermark)
            try output.emitWatermark(watermark)
        }
    }

    func advanceProcessingTime(to now: Int64) throws {
        if sawRecordSinceTick {
            sawRecordSinceTick = false
            lastRecordAt = now
        } else if let timeout = strategy.idleTimeoutMilliseconds, !idle, now - lastRecordAt >= timeout {
            idle = true
            try output.emitIdleness(true)
        }
        if now - lastEmitAt >= strategy.periodicIntervalMilliseconds { try emitIfAdvanced(now: now) }
        try output.advanceProcessingTime(to: now)
    }

    func processWatermark(_ watermark: Watermark) throws {
        if watermark == .endOfTime, emitted != .endOfTime {
            emitted = .endOfTime
            try output.emitWatermark(watermark)
        }
    }

    func processIdleness(_ idle: Bool) throws {}

    // End of input passes the end-of-time watermark on from the source (or the input task's
    // valve) before finish: nothing to add here — and after a stop there must be none.
}
