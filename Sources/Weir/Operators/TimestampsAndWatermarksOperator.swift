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
    /// What changes per record, in one allocation that only the task's thread touches.
    @usableFromInline struct State {
        @usableFromInline var maxTimestamp = Int64.min
        @usableFromInline var emitted = Watermark.initial
        @usableFromInline var recordsSinceEmit = 0
        @usableFromInline var sawRecordSinceTick = false
        @usableFromInline var lastRecordAt: Int64
        @usableFromInline var lastEmitAt: Int64
        @usableFromInline var idle = false
        @usableFromInline var metrics: OperatorMetrics?

        @inlinable init(now: Int64) { lastRecordAt = now; lastEmitAt = now }
    }
    @usableFromInline let state: TaskConfined<State>

    @inlinable func open(_ context: OperatorContext) throws { state.value.metrics = context.metrics }

    @inlinable init(output: Output<Value>, strategy: WatermarkStrategy<Value>, now: Int64 = ProcessingClock.nowMilliseconds()) {
        self.strategy = strategy
        self.output = output
        self.state = TaskConfined(State(now: now))
    }

    @inlinable func processRecord(_ value: Value, timestamp: Int64) throws {
        let eventTime = strategy.timestampAssigner.map { $0(value, timestamp) } ?? timestamp
        if state.value.idle {
            state.value.idle = false
            try output.emitIdleness(false)
        }
        if eventTime > state.value.maxTimestamp { state.value.maxTimestamp = eventTime }
        state.value.sawRecordSinceTick = true
        try output.emit(value, timestamp: eventTime)
        if let every = strategy.emitEvery {
            state.value.recordsSinceEmit += 1
            if state.value.recordsSinceEmit >= every { try emitIfAdvanced() }
        }
    }

    @inlinable func currentWatermark() -> Watermark {
        strategy.bound.watermark(afterLargest: state.value.maxTimestamp)
    }

    @inlinable func emitIfAdvanced(now: Int64? = nil) throws {
        state.value.recordsSinceEmit = 0
        state.value.lastEmitAt = now ?? ProcessingClock.nowMilliseconds()
        let watermark = currentWatermark()
        if watermark > state.value.emitted {
            state.value.emitted = watermark
            state.value.metrics?.observeWatermark(watermark)
            try output.emitWatermark(watermark)
        }
    }

    @inlinable func advanceProcessingTime(to now: Int64) throws {
        if state.value.sawRecordSinceTick {
            state.value.sawRecordSinceTick = false
            state.value.lastRecordAt = now
        } else if !state.value.idle, strategy.bound.isIdle(lastActive: state.value.lastRecordAt, now: now) {
            state.value.idle = true
            try output.emitIdleness(true)
        }
        if now - state.value.lastEmitAt >= strategy.periodicIntervalMilliseconds { try emitIfAdvanced(now: now) }
        try output.advanceProcessingTime(to: now)
    }

    @inlinable func processWatermark(_ watermark: Watermark) throws {
        if watermark == .endOfTime, state.value.emitted != .endOfTime {
            state.value.emitted = .endOfTime
            try output.emitWatermark(watermark)
        }
    }

    @inlinable func processIdleness(_ idle: Bool) throws {}

    // End of input passes the end-of-time watermark on from the source (or the input task's
    // valve) before finish: nothing to add here — and after a stop there must be none.

    deinit { state.release() }
}
