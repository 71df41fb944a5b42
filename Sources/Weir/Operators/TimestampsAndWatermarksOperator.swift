/// Assigns event timestamps and generates watermarks according to a ``WatermarkStrategy``.
///
/// The watermark is generated periodically in processing time (every `periodicInterval`, if it
/// advanced) and, if the strategy says so, after every `emitEvery` records (deterministic, for
/// tests). Upstream watermarks are ignored except the end-of-time watermark of a finished
/// input. If no record arrived for the strategy's idle timeout, the subtask is declared idle so
/// that it does not hold back downstream watermarks.
@usableFromInline final class TimestampsAndWatermarksOperator<Value: Sendable>: OneOutputOperator {
    @usableFromInline let output: Output<Value>
    @usableFromInline let strategy: WatermarkStrategy<Value>
    @usableFromInline let maxTimestamp = TaskConfined<Int64>(Int64.min)
    @usableFromInline let emitted = TaskConfined<Watermark>(Watermark.initial)
    @usableFromInline let recordsSinceEmit = TaskConfined<Int>(0)
    @usableFromInline let sawRecordSinceTick = TaskConfined<Bool>(false)
    @usableFromInline let lastRecordAt: TaskConfined<Int64>
    @usableFromInline let lastEmitAt: TaskConfined<Int64>
    @usableFromInline let idle = TaskConfined<Bool>(false)
    @usableFromInline let metrics = TaskConfined<OperatorMetrics?>(nil)

    @inlinable func open(_ context: OperatorContext) throws { metrics.value = context.metrics }

    @inlinable init(output: Output<Value>, strategy: WatermarkStrategy<Value>, now: Int64 = ProcessingClock.nowMilliseconds()) {
        self.strategy = strategy
        self.output = output
        self.lastRecordAt = TaskConfined(now)
        self.lastEmitAt = TaskConfined(now)
    }

    @inlinable func processRecord(_ value: Value, timestamp: Int64) throws {
        let eventTime = strategy.timestampAssigner.map { $0(value, timestamp) } ?? timestamp
        if idle.value {
            idle.value = false
            try output.emitIdleness(false)
        }
        if eventTime > maxTimestamp.value { maxTimestamp.value = eventTime }
        sawRecordSinceTick.value = true
        try output.emit(value, timestamp: eventTime)
        if let every = strategy.emitEvery {
            recordsSinceEmit.value += 1
            if recordsSinceEmit.value >= every { try emitIfAdvanced() }
        }
    }

    @inlinable func currentWatermark() -> Watermark {
        guard maxTimestamp.value != Int64.min else { return .initial }
        return Watermark(maxTimestamp.value &- strategy.outOfOrdernessMilliseconds &- 1)
    }

    @inlinable func emitIfAdvanced(now: Int64? = nil) throws {
        recordsSinceEmit.value = 0
        lastEmitAt.value = now ?? ProcessingClock.nowMilliseconds()
        let watermark = currentWatermark()
        if watermark > emitted.value {
            emitted.value = watermark
            metrics.value?.observeWatermark(watermark)
            try output.emitWatermark(watermark)
        }
    }

    @inlinable func advanceProcessingTime(to now: Int64) throws {
        if sawRecordSinceTick.value {
            sawRecordSinceTick.value = false
            lastRecordAt.value = now
        } else if let timeout = strategy.idleTimeoutMilliseconds, !idle.value, now - lastRecordAt.value >= timeout {
            idle.value = true
            try output.emitIdleness(true)
        }
        if now - lastEmitAt.value >= strategy.periodicIntervalMilliseconds { try emitIfAdvanced(now: now) }
        try output.advanceProcessingTime(to: now)
    }

    @inlinable func processWatermark(_ watermark: Watermark) throws {
        if watermark == .endOfTime, emitted.value != .endOfTime {
            emitted.value = .endOfTime
            try output.emitWatermark(watermark)
        }
    }

    @inlinable func processIdleness(_ idle: Bool) throws {}

    // End of input passes the end-of-time watermark on from the source (or the input task's
    // valve) before finish: nothing to add here — and after a stop there must be none.

    deinit { maxTimestamp.release(); emitted.release(); recordsSinceEmit.release(); sawRecordSinceTick.release(); lastRecordAt.release(); lastEmitAt.release(); idle.release(); metrics.release() }
}
