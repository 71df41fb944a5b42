/// Incremental aggregation of a window's (or key's) records into an accumulator, from which
/// the result is computed when the window fires. `merge` combines the accumulators of two
/// session windows that a record joins.
public protocol AggregateFunction<Input, Accumulator, Output>: Sendable {
    associatedtype Input: Sendable
    associatedtype Accumulator: StateValue
    associatedtype Output: Sendable

    func createAccumulator() -> Accumulator
    func add(_ value: Input, to accumulator: inout Accumulator)
    func result(_ accumulator: Accumulator) -> Output
    func merge(_ a: Accumulator, _ b: Accumulator) -> Accumulator
}
