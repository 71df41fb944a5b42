/// A connection from one node's output (main or a side output) to a consumer node.
struct StreamEdge: Sendable {
    /// The producing node.
    let source: Int
    /// The producer's side output this edge reads, `nil` for the main output.
    let tag: String?
    let partitioning: Partitioning
    /// Factories for the type of values on this edge.
    let outputs: OutputFactories
    /// Makes a producer subtask's network output towards the given channels.
    let makeNetworkOutput: @Sendable (_ partitioning: Partitioning, _ targets: [(gate: ErasedObject, channel: Int)], _ producerSubtask: Int, _ configuration: RuntimeConfiguration, _ maxParallelism: Int) -> ErasedObject
}
