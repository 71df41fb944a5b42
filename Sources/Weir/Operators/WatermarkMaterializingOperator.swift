/// Passes records on as ``WatermarkedElement/value(_:)`` and watermarks as
/// ``WatermarkedElement/watermark(_:)`` elements too (as well as forwarding them), at most one
/// per `interval` of processing time — except the end of time, which always goes out, so that a
/// reader of the written elements learns that this writer ended.
///
/// A watermark held back by the interval goes out at the next processing-time tick that is
/// due, so the written watermark lags the stream's by at most about an interval.
@usableFromInline final class WatermarkMaterializingOperator<Value: Sendable>: OneOutputOperator {
    @usableFromInline typealias Input = Value
    @usableFromInline let output: Output<WatermarkedElement<Value>>
    @usableFromInline let intervalMilliseconds: Int64
    @usableFromInline struct State {
        @usableFromInline var latest = Watermark.initial
        @usableFromInline var written = Watermark.initial
        @usableFromInline var writtenAt = Int64.min
        @inlinable init() {}
    }
    @usableFromInline let state = TaskConfined(State())

    @inlinable init(output: Output<WatermarkedElement<Value>>, interval: Duration) {
        self.output = output
        self.intervalMilliseconds = max(0, interval.wholeMilliseconds)
    }

    @inlinable func processRecord(_ value: Value, timestamp: Int64) throws {
        try output.emit(.value(value), timestamp: timestamp)
    }

    @inlinable func processWatermark(_ watermark: Watermark) throws {
        guard watermark > state.value.latest else { return }
        state.value.latest = watermark
        try writeIfDue(now: ProcessingClock.nowMilliseconds())
        try output.emitWatermark(watermark)
    }

    @inlinable func advanceProcessingTime(to now: Int64) throws {
        try writeIfDue(now: now)
        try output.advanceProcessingTime(to: now)
    }

    @inlinable func writeIfDue(now: Int64) throws {
        let latest = state.value.latest
        guard latest > state.value.written else { return }
        guard latest == .endOfTime || state.value.writtenAt == Int64.min || now - state.value.writtenAt >= intervalMilliseconds else { return }
        state.value.written = latest
        state.value.writtenAt = now
        try output.emit(.watermark(latest), timestamp: latest.timestamp)
    }

    deinit { state.release() }
}
