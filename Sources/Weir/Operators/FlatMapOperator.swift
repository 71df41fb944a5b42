@usableFromInline final class FlatMapOperator<Input: Sendable, Element: Sendable, Results: Sequence<Element>>: OneOutputOperator {
    @usableFromInline let output: Output<Element>
    @usableFromInline let transform: @Sendable (Input) throws -> Results

    @inlinable init(output: Output<Element>, transform: @escaping @Sendable (Input) throws -> Results) {
        self.transform = transform
        self.output = output
    }

    @inlinable func processRecord(_ value: Input, timestamp: Int64) throws {
        for element in try transform(value) { try output.emit(element, timestamp: timestamp) }
    }
}
