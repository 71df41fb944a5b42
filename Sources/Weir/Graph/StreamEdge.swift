/// A connection from one node's output (main or a side output) to a consumer node.
@usableFromInline struct StreamEdge: Sendable {
    @usableFromInline init(source: Int, tag: String?, partitioning: Partitioning, outputs: OutputFactories, makeNetworkOutput: @escaping @Sendable (_ partitioning: Partitioning, _ targets: [(gate: ErasedObject, channel: Int)], _ producerSubtask: Int, _ configuration: RuntimeConfiguration, _ routing: KeyGroupRouting) -> ErasedObject) { self.source = source; self.tag = tag; self.partitioning = partitioning; self.outputs = outputs; self.makeNetworkOutput = makeNetworkOutput }
    /// The producing node.
    @usableFromInline let source: Int
    /// The producer's side output this edge reads, `nil` for the main output.
    @usableFromInline let tag: String?
    @usableFromInline let partitioning: Partitioning
    /// Factories for the type of values on this edge.
    @usableFromInline let outputs: OutputFactories
    /// Makes a producer subtask's network output towards the given channels.
    @usableFromInline let makeNetworkOutput: @Sendable (_ partitioning: Partitioning, _ targets: [(gate: ErasedObject, channel: Int)], _ producerSubtask: Int, _ configuration: RuntimeConfiguration, _ routing: KeyGroupRouting) -> ErasedObject
}
