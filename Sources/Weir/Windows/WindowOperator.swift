/// How a window operator hands a fired window's accumulator on as output.
@usableFromInline typealias WindowEmit<Key, Accumulator, Output: Sendable> = @Sendable (Key, TimeWindow, Accumulator, Weir.Output<Output>) throws -> Void

/// Tumbling and sliding event-time windows of a keyed stream with incremental aggregation
/// (session windows, which merge, are ``SessionWindowOperator``).
///
/// Each (key, window) has an accumulator in keyed state and a timer at the window's max
/// timestamp; the window fires when the watermark reaches that timer. With allowed lateness
/// the accumulator is kept until `maxTimestamp + lateness` and every late record re-fires the
/// window with the updated result. A record whose windows are all past that point is late: it
/// is counted and sent to the late-data side output if there is one.
@usableFromInline final class WindowOperator<Key: StreamKey, Input: Sendable, Accumulator: StateValue, Output: Sendable>: WindowTimers {
    @usableFromInline let output: Weir.Output<Output>
    @usableFromInline struct WindowKey: Hashable, Codable, Sendable, StableHashable {
        @usableFromInline init(key: Key, window: TimeWindow) { self.key = key; self.window = window }
        @usableFromInline var key: Key
        @usableFromInline var window: TimeWindow

        @inlinable func stableHash(into hasher: inout StableHasher) {
            key.stableHash(into: &hasher)
            hasher.combine(UInt64(bitPattern: window.start))
        }

        /// The table position of a key's window: the key's key group, and a hash of the key's
        /// stable hash and the window start (a key's windows of one assigner differ in their start).
        @inline(__always)
        @inlinable static func position(of key: KeyPosition, window: TimeWindow) -> KeyPosition {
            KeyPosition(hash: key.hash ^ (UInt64(bitPattern: window.start) &* 0x9e37_79b9_7f4a_7c15), keyGroup: key.keyGroup)
        }
    }

    @usableFromInline typealias Emit = WindowEmit<Key, Accumulator, Output>

    @usableFromInline let keySelector: @Sendable (Input) -> Key
    @usableFromInline let assigner: WindowAssigner
    @usableFromInline let lateness: Int64
    @usableFromInline let lateTag: OutputTag<Input>?
    @usableFromInline let add: @Sendable (inout Accumulator?, Input) throws -> Void
    @usableFromInline let emit: Emit

    /// What `open` sets and records change, in one allocation that only the task's thread touches.
    @usableFromInline struct State {
        /// Each (key, window)'s accumulator.
        @usableFromInline var windows: KeyedStateTable<WindowKey, Accumulator>?
        @usableFromInline var progress = WindowProgress<Input>()

        @inlinable init() {}
    }
    @usableFromInline let state = TaskConfined(State())
    @usableFromInline let timers = TimerQueue<Key, TimeWindow>()

    @inlinable init(output: Weir.Output<Output>, keySelector: @escaping @Sendable (Input) -> Key, assigner: WindowAssigner,
         allowedLateness: Int64, lateTag: OutputTag<Input>?,
         add: @escaping @Sendable (inout Accumulator?, Input) throws -> Void,
         emit: @escaping Emit) {
        precondition(!assigner.isMerging, "session windows are SessionWindowOperator's")
        self.keySelector = keySelector
        self.assigner = assigner
        self.lateness = allowedLateness
        self.lateTag = lateTag
        self.add = add
        self.emit = emit
        self.output = output
    }

    @inlinable func open(_ context: OperatorContext) throws {
        state.value.progress.open(context, lateTag: lateTag)
        let store = try context.keyedStateStore()
        state.value.windows = try store.table(named: "window-contents", key: WindowKey.self, value: Accumulator.self)
        try context.register(timers, named: windowTimersPart)
    }

    @inlinable func processRecord(_ value: Input, timestamp: Int64) throws {
        guard timestamp != StreamRecord<Input>.noTimestamp else { throw WindowError.missingTimestamp }
        let key = keySelector(value)
        let position = KeyPosition(of: key, maxParallelism: state.value.progress.maxParallelism)
        var accepted = false
        switch assigner.kind {
        case let .tumbling(size, offset):
            let start = WindowAssigner.windowStart(timestamp, size: size, offset: offset)
            accepted = try addToWindow(TimeWindow(start: start, end: start + size), key: key, position: position, value: value)
        case let .sliding(size, slide, offset):
            var start = WindowAssigner.windowStart(timestamp, size: slide, offset: offset)
            while start > timestamp - size {
                if try addToWindow(TimeWindow(start: start, end: start + size), key: key, position: position, value: value) { accepted = true }
                start -= slide
            }
        case .session:
            preconditionFailure("session windows are SessionWindowOperator's")
        }
        if !accepted { try state.value.progress.dropLate(value, timestamp: timestamp) }
    }

    /// Adds `value` to a tumbling or sliding window; `false` if the window is past its lateness.
    @inlinable func addToWindow(_ window: TimeWindow, key: Key, position: KeyPosition, value: Input) throws -> Bool {
        let cleanup = window.cleanupTime(lateness: lateness)
        if cleanup <= state.value.progress.watermark { return false }
        let fireNow = window.maxTimestamp <= state.value.progress.watermark
        var created = false
        let updated = try state.value.windows!.update(WindowKey(key: key, window: window), at: WindowKey.position(of: position, window: window)) { accumulator -> Accumulator? in
            created = accumulator == nil
            try add(&accumulator, value)
            return fireNow ? accumulator : nil
        }
        if created {
            if !fireNow { timers.register(Timer(timestamp: window.maxTimestamp, key: key, namespace: window)) }
            if cleanup != window.maxTimestamp || fireNow { timers.register(Timer(timestamp: cleanup, key: key, namespace: window)) }
        }
        if let updated { try emit(key, window, updated, output) }
        return true
    }

    @inlinable func advanceProgress(to watermark: Int64) { state.value.progress.watermark = watermark }

    @inlinable func onTimer(_ timer: Timer<Key, TimeWindow>, fire: Bool, purge: Bool) throws {
        let window = timer.namespace
        let position = KeyPosition(of: timer.key, maxParallelism: state.value.progress.maxParallelism)
        let windowKey = WindowKey(key: timer.key, window: window)
        let windowPosition = WindowKey.position(of: position, window: window)
        if fire, let accumulator = state.value.windows!.get(windowKey, at: windowPosition) {
            try emit(timer.key, window, accumulator, output)
        }
        if purge { state.value.windows!.set(nil, for: windowKey, at: windowPosition) }
    }

    deinit { state.release() }
}
