final class FlatMapOperator<Input: Sendable, Element: Sendable, Results: Sequence<Element>>: OneOutputOperator {
    let output: Output<Element>
    private let transform: @Sendable (Input) throws -> Results

    init(output: Output<Element>, transform: @escaping @Sendable (Input) throws -> Results) {
        self.transform = transform
        self.output = output
    }

    func processRecord(_ value: Input, timestamp: Int64) throws {
        for element in try transform(value) { try output.emit(element, timestamp: timestamp) }
    }
}
