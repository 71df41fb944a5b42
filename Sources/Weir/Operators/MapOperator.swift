@usableFromInline final class MapOperator<Input: Sendable, Output: Sendable>: OneOutputOperator {
    @usableFromInline let output: Weir.Output<Output>
    @usableFromInline let transform: @Sendable (Input) throws -> Output

    @inlinable init(output: Weir.Output<Output>, transform: @escaping @Sendable (Input) throws -> Output) {
        self.transform = transform
        self.output = output
    }

    @inlinable func processRecord(_ value: Input, timestamp: Int64) throws {
        try output.emit(try transform(value), timestamp: timestamp)
    }
}
