/// Session windows of a keyed stream with incremental aggregation: each key keeps a list of
/// live sessions in keyed state, and a record's window (`[t, t + gap)`) merges every session
/// it bridges, their accumulators merged.
///
/// A session fires when the watermark reaches its max timestamp; with allowed lateness it is
/// kept until `maxTimestamp + lateness`, and a late record that joins it re-fires it. A record
/// whose merged session is past that point is late: it is counted and sent to the late-data
/// side output if there is one. (Tumbling and sliding windows are ``WindowOperator``.)
@usableFromInline final class SessionWindowOperator<Key: StreamKey, Input: Sendable, Accumulator: StateValue, Output: Sendable>: WindowTimers {
    @usableFromInline let output: Weir.Output<Output>
    @usableFromInline struct Session: Codable, Sendable {
        @usableFromInline init(window: TimeWindow, accumulator: Accumulator) { self.window = window; self.accumulator = accumulator }
        @usableFromInline var window: TimeWindow
        @usableFromInline var accumulator: Accumulator
    }

    @usableFromInline typealias Emit = WindowEmit<Key, Accumulator, Output>

    @usableFromInline let keySelector: @Sendable (Input) -> Key
    /// The gap that ends a session, in milliseconds.
    @usableFromInline let gap: Int64
    @usableFromInline let lateness: Int64
    @usableFromInline let lateTag: OutputTag<Input>?
    @usableFromInline let add: @Sendable (inout Accumulator?, Input) throws -> Void
    @usableFromInline let merge: @Sendable (Accumulator, Accumulator) throws -> Accumulator
    @usableFromInline let emit: Emit

    /// What `open` sets and records change, in one allocation that only the task's thread touches.
    @usableFromInline struct State {
        /// Each key's live sessions.
        @usableFromInline var sessions: KeyedStateTable<Key, [Session]>?
        @usableFromInline var progress = WindowProgress<Input>()

        @inlinable init() {}
    }
    @usableFromInline let state = TaskConfined(State())
    @usableFromInline let timers = TimerQueue<Key, TimeWindow>()

    @inlinable init(output: Weir.Output<Output>, keySelector: @escaping @Sendable (Input) -> Key, gap: Int64,
         allowedLateness: Int64, lateTag: OutputTag<Input>?,
         add: @escaping @Sendable (inout Accumulator?, Input) throws -> Void,
         merge: @escaping @Sendable (Accumulator, Accumulator) throws -> Accumulator,
         emit: @escaping Emit) {
        self.keySelector = keySelector
        self.gap = gap
        self.lateness = allowedLateness
        self.lateTag = lateTag
        self.add = add
        self.merge = merge
        self.emit = emit
        self.output = output
    }

    @inlinable func open(_ context: OperatorContext) throws {
        state.value.progress.open(context, lateTag: lateTag)
        let store = try context.keyedStateStore()
        state.value.sessions = try store.table(named: "window-sessions", key: Key.self, value: [Session].self)
        try context.register(timers, named: windowTimersPart)
    }

    @inlinable func processRecord(_ value: Input, timestamp: Int64) throws {
        guard timestamp != StreamRecord<Input>.noTimestamp else { throw WindowError.missingTimestamp }
        let key = keySelector(value)
        let position = KeyPosition(of: key, maxParallelism: state.value.progress.maxParallelism)
        let accepted = try addToSession(TimeWindow(start: timestamp, end: timestamp + gap), key: key, position: position, value: value)
        if !accepted { try state.value.progress.dropLate(value, timestamp: timestamp) }
    }

    @inlinable func addToSession(_ window: TimeWindow, key: Key, position: KeyPosition, value: Input) throws -> Bool {
        var merged = window
        var replaced: [TimeWindow] = []
        var late = false
        let watermark = state.value.progress.watermark
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
            if merged.cleanupTime(lateness: lateness) <= watermark {
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
            timers.delete(Timer(timestamp: old.cleanupTime(lateness: lateness), key: key, namespace: old))
        }
        let fireNow = merged.maxTimestamp <= watermark
        if !fireNow { timers.register(Timer(timestamp: merged.maxTimestamp, key: key, namespace: merged)) }
        timers.register(Timer(timestamp: merged.cleanupTime(lateness: lateness), key: key, namespace: merged))
        if fireNow, let result { try emit(key, merged, result, output) }
        return true
    }

    @inlinable func advanceProgress(to watermark: Int64) { state.value.progress.watermark = watermark }

    @inlinable func onTimer(_ timer: Timer<Key, TimeWindow>, fire: Bool, purge: Bool) throws {
        let window = timer.namespace
        let position = KeyPosition(of: timer.key, maxParallelism: state.value.progress.maxParallelism)
        guard let list = state.value.sessions!.get(timer.key, at: position),
              let index = list.firstIndex(where: { $0.window == window }) else { return }
        if fire { try emit(timer.key, window, list[index].accumulator, output) }
        if purge {
            var remaining = list
            remaining.remove(at: index)
            state.value.sessions!.set(remaining.isEmpty ? nil : remaining, for: timer.key, at: position)
        }
    }

    deinit { state.release() }
}
