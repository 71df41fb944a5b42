/// A keyed stream grouped into event-time windows; a window function turns each window into
/// results when the watermark passes its end.
public struct WindowedStream<Key: StreamKey, Value: Sendable> {
    @usableFromInline let keyed: KeyedStream<Key, Value>
    @usableFromInline let assigner: WindowAssigner
    @usableFromInline var lateness: Int64 = 0
    @usableFromInline var lateTag: OutputTag<Value>?

    @inlinable init(keyed: KeyedStream<Key, Value>, assigner: WindowAssigner) {
        self.keyed = keyed
        self.assigner = assigner
    }

    /// Keeps a window's state for `lateness` after it fired; a late record within that time
    /// updates the window and fires it again with the new result. Default: zero.
    @inlinable public func allowedLateness(_ lateness: Duration) -> WindowedStream {
        precondition(lateness >= .zero, "allowed lateness must not be negative")
        var copy = self
        copy.lateness = lateness.wholeMilliseconds
        return copy
    }

    /// Sends records that arrive too late for all their windows to the side output `tag`
    /// (read it with ``DataStream/sideOutput(_:)`` on the window's result). Late records are
    /// always counted in ``OperatorMetrics/lateRecordsDropped``.
    @inlinable public func sideOutputLateData(_ tag: OutputTag<Value>) -> WindowedStream {
        var copy = self
        copy.lateTag = tag
        return copy
    }

    @inlinable func addWindowOperator<Accumulator: StateValue, Output: Sendable>(
        name: String,
        add: @escaping @Sendable (inout Accumulator?, Value) throws -> Void,
        merge: @escaping @Sendable (Accumulator, Accumulator) throws -> Accumulator,
        emit: @escaping WindowEmit<Key, Accumulator, Output>
    ) -> DataStream<Output> {
        let keySelector = keyed.keySelector, assigner = assigner, lateness = lateness, lateTag = lateTag
        let stream = keyed.stream
        if case .session(let gap) = assigner.kind {
            return stream.addOperator(name: name, inputs: stream.keyedEdges(keySelector)) { output in
                SessionWindowOperator(output: output, keySelector: keySelector, gap: gap, allowedLateness: lateness,
                                      lateTag: lateTag, add: add, merge: merge, emit: emit)
            }
        }
        return stream.addOperator(name: name, inputs: stream.keyedEdges(keySelector)) { output in
            WindowOperator(output: output, keySelector: keySelector, assigner: assigner, allowedLateness: lateness,
                           lateTag: lateTag, add: add, emit: emit)
        }
    }

    /// Reduces each window's values to one, incrementally.
    @inlinable public func reduce(name: String? = nil, _ reduce: @escaping @Sendable (Value, Value) throws -> Value) -> DataStream<Value> where Value: StateValue {
        self.reduce(name: name, reduce) { _, _, value in value }
    }

    /// Reduces each window's values to one, incrementally, and turns it into a result that
    /// can use the key and the window.
    @inlinable public func reduce<Output: Sendable>(name: String? = nil, _ reduce: @escaping @Sendable (Value, Value) throws -> Value,
                                         window result: @escaping @Sendable (Key, TimeWindow, Value) throws -> Output) -> DataStream<Output> where Value: StateValue {
        addWindowOperator(
            name: name ?? "Window(\(assigner))",
            add: { accumulator, value in accumulator = try accumulator.map { try reduce($0, value) } ?? value },
            merge: { try reduce($0, $1) },
            emit: { key, window, accumulator, output in try output.emit(try result(key, window, accumulator), timestamp: window.maxTimestamp) })
    }

    /// Aggregates each window incrementally with `function`.
    @inlinable public func aggregate<Function: AggregateFunction>(name: String? = nil, _ function: Function) -> DataStream<Function.Output> where Function.Input == Value {
        aggregate(name: name, function) { _, _, result in result }
    }

    /// Aggregates each window incrementally with `function` and turns the aggregate into a
    /// result that can use the key and the window.
    @inlinable public func aggregate<Function: AggregateFunction, Output: Sendable>(name: String? = nil, _ function: Function,
                                                                         window result: @escaping @Sendable (Key, TimeWindow, Function.Output) throws -> Output) -> DataStream<Output> where Function.Input == Value {
        addWindowOperator(
            name: name ?? "Window(\(assigner))",
            add: { (accumulator: inout Function.Accumulator?, value) in
                if accumulator == nil { accumulator = function.createAccumulator() }
                function.add(value, to: &accumulator!)
            },
            merge: { function.merge($0, $1) },
            emit: { key, window, accumulator, output in
                try output.emit(try result(key, window, function.result(accumulator)), timestamp: window.maxTimestamp)
            })
    }

    /// Gives each window's values, all at once, to `function` when the window fires. Keeps
    /// every value in state; prefer `reduce` or `aggregate` when they suffice.
    @inlinable public func process<Output: Sendable>(name: String? = nil, _ function: @escaping @Sendable (Key, TimeWindow, [Value], WindowCollector<Output>) throws -> Void) -> DataStream<Output> where Value: StateValue {
        addWindowOperator(
            name: name ?? "Window(\(assigner))",
            add: { (accumulator: inout [Value]?, value) in
                if accumulator == nil { accumulator = [value] } else { accumulator!.append(value) }
            },
            merge: { $0 + $1 },
            emit: { key, window, values, output in
                try function(key, window, values, WindowCollector(output: output, timestamp: window.maxTimestamp))
            })
    }
}
