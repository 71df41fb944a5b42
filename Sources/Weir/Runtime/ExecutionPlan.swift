/// The physical shape of a job: which operators are chained into which tasks, how many
/// parallel subtasks each task has, and how the channels between tasks are laid out.
@usableFromInline struct ExecutionPlan: Sendable {
    @usableFromInline struct OutgoingEdge: Sendable {
        @usableFromInline let edge: StreamEdge
        @usableFromInline let consumer: Int
        /// Runs in the producer's task by direct call.
        @usableFromInline let chained: Bool
        /// The partitioning after resolution (forward only between equal parallelism).
        @usableFromInline let partitioning: Partitioning
        /// Index of this edge's first channel in the consumer's input gate.
        @usableFromInline let channelOffset: Int
    }

    @usableFromInline let nodes: [StreamNode]
    @usableFromInline let outgoing: [[OutgoingEdge]]
    /// Nodes that head a task (sources and nodes with inputs from other tasks).
    @usableFromInline let heads: [Int]
    /// Number of input channels of each subtask of a head node.
    @usableFromInline let channelCounts: [Int: Int]
    @usableFromInline let metrics: [OperatorMetrics]
    @usableFromInline let maxParallelism: Int
    /// In a cluster task, the key groups of its input partition (``StreamGraph/requiredKeyGroups``).
    @usableFromInline let requiredKeyGroups: RequiredKeyGroups?

    @usableFromInline init(graph: StreamGraph, maxParallelism: Int) throws {
        var nodes = graph.nodes
        guard !nodes.isEmpty else { throw JobError.invalidJob("the job has no operators; add a source and a sink before execute()") }
        for index in nodes.indices {
            let node = nodes[index]
            guard node.parallelism >= 1 else { throw JobError.invalidJob("operator '\(node.name)' has parallelism \(node.parallelism); it must be at least 1") }
            guard node.parallelism <= maxParallelism else {
                throw JobError.invalidJob("operator '\(node.name)' has parallelism \(node.parallelism), above the max parallelism \(maxParallelism); raise maxParallelism")
            }
            if case .source(_, let limit?) = node.kind { nodes[index].parallelism = min(node.parallelism, limit) }
        }
        var outgoing = Array(repeating: [OutgoingEdge](), count: nodes.count)
        var heads: [Int] = []
        var channelCounts: [Int: Int] = [:]
        for consumer in nodes {
            var channels = 0
            let chainable = consumer.inputs.count == 1
            for edge in consumer.inputs {
                let producer = nodes[edge.source]
                var partitioning = edge.partitioning
                if partitioning == .forward && producer.parallelism != consumer.parallelism { partitioning = .rebalance }
                let chained = chainable && partitioning == .forward
                outgoing[edge.source].append(OutgoingEdge(edge: edge, consumer: consumer.id, chained: chained, partitioning: partitioning, channelOffset: channels))
                if !chained { channels += partitioning == .forward ? 1 : producer.parallelism }
            }
            let isHead = consumer.inputs.isEmpty || channels > 0
            if isHead { heads.append(consumer.id) }
            if channels > 0 { channelCounts[consumer.id] = channels }
        }
        self.nodes = nodes
        self.outgoing = outgoing
        self.heads = heads
        self.channelCounts = channelCounts
        self.metrics = nodes.map { OperatorMetrics(operatorName: $0.name) }
        self.maxParallelism = maxParallelism
        self.requiredKeyGroups = graph.requiredKeyGroups
    }

    /// Number of tasks (threads) the plan runs.
    @usableFromInline var taskCount: Int { heads.reduce(0) { $0 + nodes[$1].parallelism } }

    /// A human-readable description of tasks and chains, for logs and `--explain` style output.
    @usableFromInline var summary: String {
        heads.map { head -> String in
            var names: [String] = []
            var frontier = [head]
            while let id = frontier.first {
                frontier.removeFirst()
                names.append(nodes[id].name)
                frontier += outgoing[id].filter(\.chained).map(\.consumer)
            }
            return "\(names.joined(separator: " → ")) ×\(nodes[head].parallelism)"
        }.joined(separator: "\n")
    }
}
