/// A rolling aggregation per key: every record updates its key's accumulator and emits the
/// new result (Flink's `KeyedStream.reduce` / `sum` semantics).
@usableFromInline final class KeyedAggregateOperator<Key: StreamKey, Input: Sendable, Accumulator: StateValue, Output: Sendable>: OneOutputOperator {
    @usableFromInline let output: Weir.Output<Output>
    @usableFromInline let keySelector: @Sendable (Input) -> Key
    @usableFromInline let add: @Sendable (inout Accumulator?, Input) throws -> Void
    @usableFromInline let result: @Sendable (Key, Accumulator) throws -> Output
    @usableFromInline let table = TaskConfined<KeyedStateTable<Key, Accumulator>?>(nil)
    @usableFromInline let maxParallelism = TaskConfined<Int>(0)

    @inlinable init(output: Weir.Output<Output>, keySelector: @escaping @Sendable (Input) -> Key,
         add: @escaping @Sendable (inout Accumulator?, Input) throws -> Void,
         result: @escaping @Sendable (Key, Accumulator) throws -> Output) {
        self.keySelector = keySelector
        self.add = add
        self.result = result
        self.output = output
    }

    @inlinable func open(_ context: OperatorContext) throws {
        maxParallelism.value = context.maxParallelism
        let store = try context.keyedStateStore()
        table.value = try store.table(named: "aggregate", key: Key.self, value: Accumulator.self)
    }

    @inlinable func processRecord(_ value: Input, timestamp: Int64) throws {
        let key = keySelector(value)
        let accumulator = try table.value!.update(key, at: KeyPosition(of: key, maxParallelism: maxParallelism.value)) { accumulator -> Accumulator in
            try add(&accumulator, value)
            return accumulator!
        }
        try output.emit(try result(key, accumulator), timestamp: timestamp)
    }

    deinit { table.release(); maxParallelism.release() }
}
