final class MapOperator<Input: Sendable, Output: Sendable>: OneOutputOperator {
    let output: Weir.Output<Output>
    private let transform: @Sendable (Input) throws -> Output

    init(output: Weir.Output<Output>, transform: @escaping @Sendable (Input) throws -> Output) {
        self.transform = transform
        self.output = output
    }

    func processRecord(_ value: Input, timestamp: Int64) throws {
        try output.emit(try transform(value), timestamp: timestamp)
    }
}
