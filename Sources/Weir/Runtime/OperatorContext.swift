/// What the runtime gives an operator instance when it opens.
final class OperatorContext {
    let location: OperatorLocation
    let maxParallelism: Int
    /// Key groups this subtask owns (meaningful for keyed operators).
    let keyGroupRange: KeyGroupRange
    let stateBackend: any StateBackend
    let metrics: OperatorMetrics
    private let sideOutputs: [String: AnyObject]

    init(location: OperatorLocation, maxParallelism: Int, stateBackend: any StateBackend, metrics: OperatorMetrics, sideOutputs: [String: AnyObject]) {
        self.location = location
        self.maxParallelism = maxParallelism
        self.keyGroupRange = KeyGroupRange.forSubtask(location.subtask, parallelism: location.parallelism, maxParallelism: maxParallelism)
        self.stateBackend = stateBackend
        self.metrics = metrics
        self.sideOutputs = sideOutputs
    }

    /// The output for `tag`, or `nil` if no stream consumes that side output.
    func sideOutput<T: Sendable>(_ tag: OutputTag<T>) -> Output<T>? {
        guard let output = sideOutputs[tag.id] else { return nil }
        guard let typed = output as? Output<T> else {
            preconditionFailure("side output '\(tag.id)' of \(location) is emitted as \(T.self) but read as another type; give each OutputTag its own id")
        }
        return typed
    }
}
