/// What both window operators (``WindowOperator``, ``SessionWindowOperator``) keep besides
/// their windows and timers: how far event time has come, the job's key-group count, and where
/// late records are counted and sent. Part of each operator's task-confined state.
@usableFromInline struct WindowProgress<Input: Sendable> {
    /// The last watermark's timestamp: windows whose cleanup time it reached are gone.
    @usableFromInline var watermark = Int64.min
    @usableFromInline var maxParallelism = 0
    @usableFromInline var lateOutput: Weir.Output<Input>?
    @usableFromInline var metrics: OperatorMetrics?

    @inlinable init() {}

    @inlinable mutating func open(_ context: OperatorContext, lateTag: OutputTag<Input>?) {
        maxParallelism = context.maxParallelism
        metrics = context.metrics
        lateOutput = lateTag.flatMap { context.sideOutput($0) }
    }

    /// A record no window accepts any more: counted, and sent to the late-data side output if any.
    @inlinable func dropLate(_ value: Input, timestamp: Int64) throws {
        metrics!.lateRecordsDropped.add()
        try lateOutput?.emit(value, timestamp: timestamp)
    }
}

/// The name of the window operators' timers in checkpoints.
@usableFromInline let windowTimersPart = "window-timers"

/// Event time as both window operators handle it: a watermark moves their progress on and
/// runs every timer it passed — each at a window's max timestamp (fire), at its cleanup time
/// (purge), or both when there is no allowed lateness — then goes on downstream.
@usableFromInline protocol WindowTimers: OneOutputOperator {
    associatedtype Key: StreamKey
    var timers: TimerQueue<Key, TimeWindow> { get }
    var lateness: Int64 { get }
    /// Records the watermark's timestamp in the operator's progress.
    func advanceProgress(to watermark: Int64)
    /// Emits the window of `timer` (`fire`) and/or drops its state (`purge`).
    func onTimer(_ timer: Timer<Key, TimeWindow>, fire: Bool, purge: Bool) throws
}

extension WindowTimers {
    @inlinable func processWatermark(_ watermark: Watermark) throws {
        advanceProgress(to: watermark.timestamp)
        while let timer = timers.popDue(at: watermark.timestamp) {
            let window = timer.namespace
            try onTimer(timer, fire: timer.timestamp == window.maxTimestamp, purge: timer.timestamp == window.cleanupTime(lateness: lateness))
        }
        try output.emitWatermark(watermark)
    }
}
