@usableFromInline final class FilterOperator<Value: Sendable>: OneOutputOperator {
    @usableFromInline let output: Output<Value>
    @usableFromInline let predicate: @Sendable (Value) throws -> Bool

    @inlinable init(output: Output<Value>, predicate: @escaping @Sendable (Value) throws -> Bool) {
        self.predicate = predicate
        self.output = output
    }

    @inlinable func processRecord(_ value: Value, timestamp: Int64) throws {
        if try predicate(value) { try output.emit(value, timestamp: timestamp) }
    }
}
