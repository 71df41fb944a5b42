/// Event-time windows of a keyed stream with incremental aggregation.
///
/// Each (key, window) has an accumulator in keyed state and a timer at the window's max
/// timestamp; the window fires when the watermark reaches that timer. With allowed lateness
/// the accumulator is kept until `maxTimestamp + lateness` and every late record re-fires the
/// window with the updated result. A record whose windows are all past that point is late: it
/// is counted and sent to the late-data side output if there is one.
///
/// Session windows keep a list of sessions per key and merge those a record bridges.
@usableFromInline final class WindowOperator<Key: StreamKey, Input: Sendable, Accumulator: StateValue, Output: Sendable>: OneOutputOperator {
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

    @usableFromInline struct Session: Codable, Sendable {
        @usableFromInline init(window: TimeWindow, accumulator: Accumulator) { self.window = window; self.accumulator = accumulator }
        @usableFromInline var window: TimeWindow
        @usableFromInline var accumulator: Accumulator
    }

    @usableFromInline typealias Emit = @Sendable (Key, TimeWindow, Accumulator, Weir.Output<Output>) throws -> Void

    @usableFromInline let keySelector: @Sendable (Input) -> Key
    @usableFromInline let assigner: WindowAssigner
    @usableFromInline let lateness: Int64
    @usableFromInline let lateTag: OutputTag<Input>?
    @usableFromInline let add: @Sendable (inout Accumulator?, Input) throws -> Void
    @usableFromInline let merge: @Sendable (Accumulator, Accumulator) throws -> Accumulator
    @usableFromInline let emit: Emit

    /// What `open` sets and records change, in one allocation that only the task's thread touches.
    @usableFromInline struct State {
        /// The accumulators of tumbling and sliding windows (non-merging assigners).
        @usableFromInline var windows: KeyedStateTable<WindowKey, Accumulator>?
        /// Each key's live sessions (the merging assigner).
        @usableFromInline var sessions: KeyedStateTable<Key, [Session]>?
        @usableFromInline var watermark = Int64.min
        @usableFromInline var maxParallelism = 0
        @usableFromInline var lateOutput: Weir.Output<Input>?
        @usableFromInline var metrics: OperatorMetrics?

        @inlinable init() {}
    }
    @usableFromInline let state = TaskConfined(State())
    @usableFromInline let timers = TimerQueue<Key, TimeWindow>()

    @inlinable init(output: Weir.Output<Output>, keySelector: @escaping @Sendable (Input) -> Key, assigner: WindowAssigner,
         allowedLateness: Int64, lateTag: OutputTag<Input>?,
         add: @escaping @Sendable (inout Accumulator?, Input) throws -> Void,
         merge: @escaping @Sendable (Accumulator, Accumulator) throws -> Accumulator,
         emit: @escaping Emit) {
        self.keySelector = keySelector
        self.assigner = assigner
        self.lateness = allowedLateness
        self.lateTag = lateTag
        self.add = add
        self.merge = merge
        self.emit = emit
        self.output = output
    }

    @inlinable func open(_ context: OperatorContext) throws {
        state.value.maxParallelism = context.maxParallelism
        state.value.metrics = context.metrics
        state.value.lateOutput = lateTag.flatMap { context.sideOutput($0) }
        let store = context.keyedStateStore()
        try timers.restore(context.takeRestoredPart(Self.timersPart))
        if assigner.isMerging {
            state.value.sessions = try store.table(named: "window-sessions", key: Key.self, value: [Session].self)
        } else {
            state.value.windows = try store.table(named: "window-contents", key: WindowKey.self, value: Accumulator.self)
        }
    }

    @inlinable static var timersPart: String { "window-timers" }

    @inlinable func snapshotExtras(checkpointID: Int64, maxParallelism: Int) throws -> OperatorExtras {
        OperatorExtras(keyed: [Self.timersPart: timers.snapshot(maxParallelism: maxParallelism)])
    }

    @inline(__always)
    @inlinable func cleanupTime(_ window: TimeWindow) -> Int64 {
        let (sum, overflow) = window.maxTimestamp.addingReportingOverflow(lateness)
        return overflow ? Int64.max : sum
    }

    @inlinable func processRecord(_ value: Input, timestamp: Int64) throws {
        guard timestamp != StreamRecord<Input>.noTimestamp else { throw WindowError.missingTimestamp }
        let key = keySelector(value)
        let position = KeyPosition(of: key, maxParallelism: state.value.maxParallelism)
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
        case let .session(gap):
            accepted = try addToSession(TimeWindow(start: timestamp, end: timestamp + gap), key: key, position: position, value: value)
        }
        if !accepted {
            state.value.metrics!.lateRecordsDropped.add()
            try state.value.lateOutput?.emit(value, timestamp: timestamp)
        }
    }

    /// Adds `value` to a tumbling or sliding window; `false` if the window is past its lateness.
    @inlinable func addToWindow(_ window: TimeWindow, key: Key, position: KeyPosition, value: Input) throws -> Bool {
        let cleanup = cleanupTime(window)
        if cleanup <= state.value.watermark { return false }
        let fireNow = window.maxTimestamp <= state.value.watermark
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

    @inlinable func addToSession(_ window: TimeWindow, key: Key, position: KeyPosition, value: Input) throws -> Bool {
        var merged = window
        var replaced: [TimeWindow] = []
        var late = false
        let watermark = state.value.watermark
        let result = try state.value.sessions!.update(key, at: position) { stored -> Accumulator? in
            var list = stored ?? []
            var accumulator: Accumulator?
            try add(&accumulator, value)
            var changed = true
            while changed {  // a grown session may now reach one it did not before
                changed = false
                var index = 0
                while index < list.count {
                    if list[index].window.intersects(merged) {
                        merged = merged.cover(list[index].window)
                        accumulator = try merge(list[index].accumulator, accumulator!)
                        replaced.append(list[index].window)
                        list.remove(at: index)
                        changed = true
                    } else {
                        index += 1
                    }
                }
            }
            // Live sessions are never past cleanup, so a late merged window merged with nothing.
            if cleanupTime(merged) <= watermark {
                late = true
                return nil
            }
            list.append(Session(window: merged, accumulator: accumulator!))
            stored = list
            return accumulator
        }
        if late { return false }
        for old in replaced {
            timers.delete(Timer(timestamp: old.maxTimestamp, key: key, namespace: old))
            timers.delete(Timer(timestamp: cleanupTime(old), key: key, namespace: old))
        }
        let fireNow = merged.maxTimestamp <= watermark
        if !fireNow { timers.register(Timer(timestamp: merged.maxTimestamp, key: key, namespace: merged)) }
        timers.register(Timer(timestamp: cleanupTime(merged), key: key, namespace: merged))
        if fireNow, let result { try emit(key, merged, result, output) }
        return true
    }

    @inlinable func processWatermark(_ watermark: Watermark) throws {
        state.value.watermark = watermark.timestamp
        while let timer = timers.popDue(at: watermark.timestamp) {
            try onTimer(timer)
        }
        try output.emitWatermark(watermark)
    }

    @inlinable func onTimer(_ timer: Timer<Key, TimeWindow>) throws {
        let window = timer.namespace
        let position = KeyPosition(of: timer.key, maxParallelism: state.value.maxParallelism)
        let fire = timer.timestamp == window.maxTimestamp
        let purge = timer.timestamp == cleanupTime(window)
        if assigner.isMerging {
            guard let list = state.value.sessions!.get(timer.key, at: position),
                  let index = list.firstIndex(where: { $0.window == window }) else { return }
            if fire { try emit(timer.key, window, list[index].accumulator, output) }
            if purge {
                var remaining = list
                remaining.remove(at: index)
                state.value.sessions!.set(remaining.isEmpty ? nil : remaining, for: timer.key, at: position)
            }
        } else {
            let windowKey = WindowKey(key: timer.key, window: window)
            let windowPosition = WindowKey.position(of: position, window: window)
            if fire, let accumulator = state.value.windows!.get(windowKey, at: windowPosition) {
                try emit(timer.key, window, accumulator, output)
            }
            if purge { state.value.windows!.set(nil, for: windowKey, at: windowPosition) }
        }
    }

    deinit { state.release() }
}
