extension DataStream {
    /// A flat map whose function depends on the cluster task it runs in (a repartition writer
    /// numbers its watermarks by its task's partition): `makeTransform` makes it for each task.
    /// Outside a cluster the job does not start and says `outsideCluster`.
    @_spi(ClusterRunner) @inlinable public func flatMapPerClusterTask<Results: Sequence>(
        name: String, outsideCluster: String, _ makeTransform: @escaping @Sendable (ClusterTask) throws -> @Sendable (Value) throws -> Results
    ) -> DataStream<Results.Element> where Results.Element: Sendable {
        let stream: DataStream<Results.Element> = addOperator(name: name, inputs: edges(.forward)) { output in
            FlatMapOperator(output: output, transform: { (_: Value) -> Results in throw JobError.invalidJob(outsideCluster) })
        }
        let node = stream.singleNode
        environment.graph.nodes[node].clusterOnly = outsideCluster
        environment.graph.nodes[node].perTask = { task in
            let transform = try makeTransform(task)
            return .transformation(.of(Results.Element.self) { output in FlatMapOperator(output: output, transform: transform) })
        }
        return stream
    }
}
