final class FilterOperator<Value: Sendable>: OneOutputOperator {
    let output: Output<Value>
    private let predicate: @Sendable (Value) throws -> Bool

    init(output: Output<Value>, predicate: @escaping @Sendable (Value) throws -> Bool) {
        self.predicate = predicate
        self.output = output
    }

    func processRecord(_ value: Value, timestamp: Int64) throws {
        if try predicate(value) { try output.emit(value, timestamp: timestamp) }
    }
}
