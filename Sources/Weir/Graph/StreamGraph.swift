/// The logical job: nodes and their connections, as the DataStream API builds it.
final class StreamGraph {
    private(set) var nodes: [StreamNode] = []

    func add(name: String, parallelism: Int, kind: StreamNode.Kind, inputs: [StreamEdge], outputs: OutputFactories) -> Int {
        let id = nodes.count
        nodes.append(StreamNode(id: id, name: name, parallelism: parallelism, kind: kind, inputs: inputs, outputs: outputs))
        return id
    }

    func setParallelism(_ parallelism: Int, of node: Int) { nodes[node].parallelism = parallelism }

    func setName(_ name: String, of node: Int) { nodes[node].name = name }

    func setReplay(_ replay: SinkReplay, of node: Int) { nodes[node].replay = replay }

    /// The two-phase-commit sinks whose output replayed input would duplicate.
    var sinksDuplicatingReplays: [String] { nodes.filter { $0.replay == .duplicates }.map(\.name) }

    func node(_ id: Int) -> StreamNode { nodes[id] }
}
