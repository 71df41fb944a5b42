/// What a ``ClusterRunner`` needs of the job: its stages, and the job of one task.
extension StreamEnvironment {
    /// The job's stages, one per partitioned source, after checking that the job can be split
    /// into tasks exactly: every source is a ``PartitionedSource``, a stage has one source, and
    /// a stage keys its stream (`keyBy`) only when its source is partitioned by key.
    @_spi(ClusterRunner) public func clusterStages() throws -> [ClusterStage] {
        try clusterComponents().map { component in
            let source = graph.nodes[component[0]]
            return ClusterStage(source: source.partitionedInput!.source, sourceName: source.name, operatorNames: component.map { graph.nodes[$0].name })
        }
    }

    /// The job of `task`: the stage that reads `task.input`, with its source reading only
    /// `task.partition` and every operator at parallelism 1 (a cluster scales by partitions and
    /// processes), the settings of this environment, and operators that depend on the task
    /// (a repartition writer's number) made for it. Run it with a job name of the task's own.
    @_spi(ClusterRunner) public func clusterTaskEnvironment(for task: ClusterTask) throws -> StreamEnvironment {
        guard let component = try clusterComponents().first(where: { graph.nodes[$0[0]].partitionedInput!.source.partitionedInputs.contains(task.input) }) else {
            throw JobError.invalidJob("no source of the job reads \(task.input), which the cluster assigned to this process as \(task) (does another job share the cluster's group?)")
        }
        let taskGraph = StreamGraph()
        let renumbered = Dictionary(uniqueKeysWithValues: component.enumerated().map { ($1, $0) })
        for id in component {
            let node = graph.nodes[id]
            var kind = node.kind
            if let input = node.partitionedInput { kind = input.restricted(task) } else if let perTask = node.perTask { kind = try perTask(task) }
            let inputs = node.inputs.map { edge in
                StreamEdge(source: renumbered[edge.source]!, tag: edge.tag, partitioning: edge.partitioning, outputs: edge.outputs, makeNetworkOutput: edge.makeNetworkOutput)
            }
            let added = taskGraph.add(name: node.name, parallelism: 1, kind: kind, inputs: inputs, outputs: node.outputs)
            if let replay = node.replay { taskGraph.setReplay(replay, of: added) }
        }
        let source = graph.nodes[component[0]]
        if let keyGroups = source.partitionedInput!.source.keyGroups(ofPartition: task.partition, of: task.input, maxParallelism: maxParallelism) {
            taskGraph.requiredKeyGroups = RequiredKeyGroups(partition: "partition \(task.partition) of \(task.input)", keyGroups: keyGroups)
        }
        let environment = StreamEnvironment(parallelism: 1, graph: taskGraph)
        environment.maxParallelism = maxParallelism
        environment.runtime = runtime
        environment.stateBackend = stateBackend
        environment.checkpointing = checkpointing
        environment.explicitRestartStrategy = explicitRestartStrategy
        environment.resume = resume
        environment.progressHandler = progressHandler
        environment.progressInterval = progressInterval
        environment.warningHandler = warningHandler
        return environment
    }

    /// Whether ``stop()`` or ``cancel()`` was called since `execute` began: a cluster runner
    /// stops this process's tasks and leaves the cluster.
    @_spi(ClusterRunner) public var isStopRequested: Bool { running.isCancelled || running.isStopping }

    /// The connected parts of the graph (node ids in definition order, the source first),
    /// checked as ``clusterStages()`` says.
    func clusterComponents() throws -> [[Int]] {
        let nodes = graph.nodes
        guard !nodes.isEmpty else { throw JobError.invalidJob("the job has no operators; add a source and a sink before execute()") }
        var root = Array(nodes.indices)
        func find(_ id: Int) -> Int {
            var id = id
            while root[id] != id { root[id] = root[root[id]]; id = root[id] }
            return id
        }
        for node in nodes { for edge in node.inputs { root[find(node.id)] = find(edge.source) } }
        var components: [Int: [Int]] = [:]
        for node in nodes { components[find(node.id), default: []].append(node.id) }
        return try components.values.sorted { $0[0] < $1[0] }.map { component in
            let sources = component.filter { if case .source = nodes[$0].kind { return true } else { return false } }
            for id in sources where nodes[id].partitionedInput == nil {
                throw JobError.invalidJob("source '\(nodes[id].name)' cannot be split between the processes of a cluster: a cluster job reads partitioned inputs (a KafkaSource), one task per partition")
            }
            guard sources.count == 1, let source = sources.first else {
                throw JobError.invalidJob("operators \(component.map { "'\(nodes[$0].name)'" }.joined(separator: ", ")) read \(sources.count) sources together; a stage of a cluster job reads one (write the others into a repartition topic and read it in its own stage)")
            }
            let input = nodes[source].partitionedInput!
            if !input.source.isPartitionedByKey, let keyed = component.first(where: { id in nodes[id].inputs.contains { $0.partitioning == .keyGroups } }) {
                throw JobError.invalidJob("operator '\(nodes[keyed].name)' is keyed (keyBy) in the stage that reads \(input.source.partitionedInputs.joined(separator: ", ")) with source '\(nodes[source].name)', whose partitions hold parts of each key: the tasks of a cluster would each see a part of a key. Write the stream into a repartition topic keyed by the same key (DataStream.repartition(into:…)) and key it in the stage that reads that topic, or produce the input partitioned by key and read it with a CoPartitionedDeserializer")
            }
            return component
        }
    }
}
