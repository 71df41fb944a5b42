/// A stream partitioned by key. Its operators keep state and timers per key.
public struct KeyedStream<Key: StreamKey, Value: Sendable> {
    @usableFromInline init(stream: DataStream<Value>, keySelector: @escaping @Sendable (Value) -> Key) { self.stream = stream; self.keySelector = keySelector }
    @usableFromInline let stream: DataStream<Value>
    @usableFromInline let keySelector: @Sendable (Value) -> Key

    /// A rolling reduce: emits, for every value, the reduction of all values of its key so far.
    @inlinable public func reduce(name: String = "Reduce", _ reduce: @escaping @Sendable (Value, Value) throws -> Value) -> DataStream<Value> where Value: StateValue {
        let keySelector = keySelector
        return stream.addOperator(name: name, inputs: stream.keyedEdges(keySelector)) { output in
            KeyedAggregateOperator<Key, Value, Value, Value>(
                output: output, keySelector: keySelector,
                add: { accumulator, value in accumulator = try accumulator.map { try reduce($0, value) } ?? value },
                result: { _, accumulator in accumulator })
        }
    }

    /// A rolling aggregation: emits, for every value, the aggregate of all values of its key so far.
    @inlinable public func aggregate<Function: AggregateFunction>(name: String = "Aggregate", _ function: Function) -> DataStream<Function.Output> where Function.Input == Value {
        let keySelector = keySelector
        return stream.addOperator(name: name, inputs: stream.keyedEdges(keySelector)) { output in
            KeyedAggregateOperator<Key, Value, Function.Accumulator, Function.Output>(
                output: output, keySelector: keySelector,
                add: { accumulator, value in
                    if accumulator == nil { accumulator = function.createAccumulator() }
                    function.add(value, to: &accumulator!)
                },
                result: { _, accumulator in function.result(accumulator) })
        }
    }

    /// Processes each value with a ``KeyedProcessFunction`` (keyed state, timers, side outputs).
    /// `makeFunction` is called once per parallel subtask.
    @inlinable public func process<Function: KeyedProcessFunction>(name: String = "Process", _ makeFunction: @escaping @Sendable () -> Function) -> DataStream<Function.Output> where Function.Key == Key, Function.Input == Value {
        let keySelector = keySelector
        return stream.addOperator(name: name, inputs: stream.keyedEdges(keySelector)) { output in
            KeyedProcessOperator(output: output, keySelector: keySelector, makeFunction: makeFunction)
        }
    }

    /// Maps each value in the subtask that owns its key (the stream stays partitioned by key,
    /// but the result is no longer a keyed stream).
    @inlinable public func map<Output: Sendable>(name: String = "Map", _ transform: @escaping @Sendable (Value) throws -> Output) -> DataStream<Output> {
        stream.addOperator(name: name, inputs: stream.keyedEdges(keySelector)) { MapOperator(output: $0, transform: transform) }
    }

    /// Groups each key's values into event-time windows.
    @inlinable public func window(_ assigner: WindowAssigner) -> WindowedStream<Key, Value> {
        WindowedStream(keyed: self, assigner: assigner)
    }
}
