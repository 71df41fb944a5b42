/// The logical job: nodes and their connections, as the DataStream API builds it.
@usableFromInline final class StreamGraph {
    @usableFromInline var nodes: [StreamNode] = []
    /// In a cluster task's graph, the key groups its input partition holds: every keyed record must be of one of them.
    @usableFromInline var requiredKeyGroups: RequiredKeyGroups?

    @usableFromInline func add(name: String, parallelism: Int, kind: StreamNode.Kind, inputs: [StreamEdge], outputs: OutputFactories) -> Int {
        let id = nodes.count
        nodes.append(StreamNode(id: id, name: name, parallelism: parallelism, kind: kind, inputs: inputs, outputs: outputs))
        return id
    }

    @usableFromInline func setParallelism(_ parallelism: Int, of node: Int) { nodes[node].parallelism = parallelism }

    @usableFromInline func setName(_ name: String, of node: Int) { nodes[node].name = name }

    @usableFromInline func setReplay(_ replay: SinkReplay, of node: Int) { nodes[node].replay = replay }

    /// The two-phase-commit sinks whose output replayed input would duplicate.
    @usableFromInline var sinksDuplicatingReplays: [String] { nodes.filter { $0.replay == .duplicates }.map(\.name) }

    @usableFromInline func node(_ id: Int) -> StreamNode { nodes[id] }
}
