/// A rolling aggregation per key: every record updates its key's accumulator and emits the
/// new result (Flink's `KeyedStream.reduce` / `sum` semantics).
final class KeyedAggregateOperator<Key: StreamKey, Input: Sendable, Accumulator: StateValue, Output: Sendable>: OneOutputOperator {
    let output: Weir.Output<Output>
    private let keySelector: @Sendable (Input) -> Key
    private let add: @Sendable (inout Accumulator?, Input) throws -> Void
    private let result: @Sendable (Key, Accumulator) throws -> Output
    private var table: KeyedStateTable<Key, Accumulator>!
    private var maxParallelism = 0

    init(output: Weir.Output<Output>, keySelector: @escaping @Sendable (Input) -> Key,
         add: @escaping @Sendable (inout Accumulator?, Input) throws -> Void,
         result: @escaping @Sendable (Key, Accumulator) throws -> Output) {
        self.keySelector = keySelector
        self.add = add
        self.result = result
        self.output = output
    }

    func open(_ context: OperatorContext) throws {
        maxParallelism = context.maxParallelism
        let store = context.keyedStateStore()
        table = try store.table(named: "aggregate", key: Key.self, value: Accumulator.self)
    }

    func processRecord(_ value: Input, timestamp: Int64) throws {
        let key = keySelector(value)
        let accumulator = try table.update(key, at: KeyPosition(of: key, maxParallelism: maxParallelism)) { accumulator -> Accumulator in
            try add(&accumulator, value)
            return accumulator!
        }
        try output.emit(try result(key, accumulator), timestamp: timestamp)
    }
}
