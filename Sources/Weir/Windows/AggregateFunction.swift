/// Incremental aggregation of a window's (or key's) records into an accumulator, from which
/// the result is computed when the window fires. `merge` combines the accumulators of two
/// session windows that a record joins.
public protocol AggregateFunction<Input, Accumulator, Output>: Sendable {
    /// The records aggregated.
    associatedtype Input: Sendable
    /// The running aggregate, kept in keyed state (and in checkpoints) per key and window.
    associatedtype Accumulator: StateValue
    /// What a fired window emits.
    associatedtype Output: Sendable

    /// The accumulator of an empty window.
    func createAccumulator() -> Accumulator
    /// Folds one record into the accumulator.
    func add(_ value: Input, to accumulator: inout Accumulator)
    /// The window's result, when it fires.
    func result(_ accumulator: Accumulator) -> Output
    /// The accumulator of two session windows that a record joins.
    func merge(_ a: Accumulator, _ b: Accumulator) -> Accumulator
}
