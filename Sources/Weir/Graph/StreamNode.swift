/// One operator of the logical job graph, with type-erased factories for its runtime parts.
@usableFromInline struct StreamNode: Sendable {
    @usableFromInline enum Kind: Sendable {
        /// Runs a source reader loop into `output`.
        case source(run: @Sendable (_ task: TaskEnvironment, _ output: ErasedObject, _ checkpoint: SourceCheckpointing) throws -> Void, maxParallelism: Int?)
        /// An operator reading from `inputs`.
        case transformation(Transformation)
    }

    /// The input-type-specific factories of a transformation node.
    @usableFromInline struct Transformation: Sendable {
        @usableFromInline init(makeOperator: @escaping @Sendable (_ output: ErasedObject, _ location: OperatorLocation) -> (input: ErasedObject, lifecycle: any OperatorLifecycle), makeGate: @escaping @Sendable (_ channels: Int, _ capacity: Int, _ metrics: OperatorMetrics) -> ErasedObject, runInputTask: @escaping @Sendable (_ task: TaskEnvironment, _ gate: ErasedObject, _ head: ErasedObject, _ checkpointing: TaskCheckpointing?) throws -> Void) {
            self.makeOperator = makeOperator
            self.makeGate = makeGate
            self.runInputTask = runInputTask
        }
        /// Makes the operator writing into `output` (an `Output<Out>`); returns the
        /// `Output<In>` that feeds it and the operator for its lifecycle calls.
        @usableFromInline let makeOperator: @Sendable (_ output: ErasedObject, _ location: OperatorLocation) -> (input: ErasedObject, lifecycle: any OperatorLifecycle)
        /// Makes the `InputGate<In>` of a subtask that heads a task.
        @usableFromInline let makeGate: @Sendable (_ channels: Int, _ capacity: Int, _ metrics: OperatorMetrics) -> ErasedObject
        /// Runs the input loop of a task headed by this node.
        @usableFromInline let runInputTask: @Sendable (_ task: TaskEnvironment, _ gate: ErasedObject, _ head: ErasedObject, _ checkpointing: TaskCheckpointing?) throws -> Void

        @inlinable static func of<Operator: StreamOperator, Output: Sendable>(_ output: Output.Type, makeOperator: @escaping @Sendable (Weir.Output<Output>) -> Operator) -> Transformation {
            typealias Input = Operator.Input
            return Transformation(
                makeOperator: { output, location in
                    let op = makeOperator(output.object as! Weir.Output<Output>)
                    return (ErasedObject(object: Weir.Output<Input>.chained(to: op, location: location)), op)
                },
                makeGate: { channels, capacity, metrics in
                    let gate = InputGate<Input>(channelCount: channels, capacity: capacity)
                    gate.backpressure = metrics.inputBackpressureNanoseconds
                    return ErasedObject(object: gate)
                },
                runInputTask: { task, gate, head, checkpointing in
                    try InputTaskLoop<Input>(task: task, gate: gate.object as! InputGate<Input>, head: head.object as! Weir.Output<Input>,
                                             checkpointing: checkpointing).run()
                }
            )
        }
    }

    @usableFromInline let id: Int
    @usableFromInline var name: String
    @usableFromInline var parallelism: Int
    @usableFromInline let kind: Kind
    @usableFromInline var inputs: [StreamEdge]
    /// Factories for the node's main output type.
    @usableFromInline let outputs: OutputFactories
    /// A two-phase-commit sink's answer to replayed input (`nil`: not such a sink).
    @usableFromInline var replay: SinkReplay?
    /// A ``PartitionedSource``'s node: what it reads, for ``StreamEnvironment/cluster``.
    @usableFromInline var partitionedInput: PartitionedInput?
    /// An operator that needs to know the cluster task it runs in: its kind there. With
    /// ``clusterOnly``, why it cannot run in a single process.
    @usableFromInline var perTask: (@Sendable (ClusterTask) throws -> Kind)?
    @usableFromInline var clusterOnly: String?
}

/// What a source task needs for checkpoints: its task's checkpointing (if enabled), the splits
/// a restored checkpoint assigned to it, and how its state is identified.
@usableFromInline struct SourceCheckpointing {
    @usableFromInline let checkpointing: TaskCheckpointing?
    @usableFromInline let restoredSplits: [[UInt8]]?
    @usableFromInline let operatorID: String
    @usableFromInline let maxParallelism: Int
}
