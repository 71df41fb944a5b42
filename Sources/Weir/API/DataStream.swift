/// A stream of values of one type, as a job defines it. Every transformation returns a new
/// stream and adds an operator to the job; nothing runs before
/// `StreamEnvironment.execute(_:)`.
public struct DataStream<Value: Sendable> {
    @usableFromInline init(environment: StreamEnvironment, producers: [Producer]) { self.environment = environment; self.producers = producers }
    /// An operator output this stream reads: a node's main output or one of its side outputs.
    @usableFromInline struct Producer {
        @usableFromInline init(node: Int, tag: String?) { self.node = node; self.tag = tag }
        @usableFromInline let node: Int
        @usableFromInline let tag: String?
    }

    @usableFromInline let environment: StreamEnvironment
    @usableFromInline let producers: [Producer]

    @inlinable var graph: StreamGraph { environment.graph }

    // MARK: - Edges

    @inlinable func edges(_ partitioning: Partitioning) -> [StreamEdge] {
        producers.map { producer in
            StreamEdge(source: producer.node, tag: producer.tag, partitioning: partitioning, outputs: .of(Value.self)) { partitioning, targets, subtask, configuration, _ in
                let targets = targets.map { ChannelEndpoint(gate: $0.gate.object as! InputGate<Value>, channel: $0.channel) }
                switch partitioning {
                case .forward:
                    return ErasedObject(object: NetworkOutput.forward(targets: targets, batchSize: configuration.batchSize))
                case .rebalance, .keyGroups:
                    return ErasedObject(object: NetworkOutput.rebalance(targets: targets, batchSize: configuration.batchSize, startingAt: subtask))
                }
            }
        }
    }

    @inlinable func keyedEdges<Key: StreamKey>(_ keySelector: @escaping @Sendable (Value) -> Key) -> [StreamEdge] {
        producers.map { producer in
            StreamEdge(source: producer.node, tag: producer.tag, partitioning: .keyGroups, outputs: .of(Value.self)) { _, targets, _, configuration, routing in
                let targets = targets.map { ChannelEndpoint(gate: $0.gate.object as! InputGate<Value>, channel: $0.channel) }
                return ErasedObject(object: NetworkOutput.keyGroups(targets: targets, batchSize: configuration.batchSize, routing: routing, keySelector: keySelector))
            }
        }
    }

    /// Adds an operator node reading this stream's values.
    @inlinable func addOperator<Output: Sendable, Operator: StreamOperator>(name: String, inputs: [StreamEdge], parallelism: Int? = nil,
                                                               makeOperator: @escaping @Sendable (Weir.Output<Output>) -> Operator) -> DataStream<Output> where Operator.Input == Value {
        let id = graph.add(name: name, parallelism: parallelism ?? environment.parallelism,
                           kind: .transformation(.of(Output.self, makeOperator: makeOperator)),
                           inputs: inputs, outputs: .of(Output.self))
        return DataStream<Output>(environment: environment, producers: [.init(node: id, tag: nil)])
    }

    @inlinable var singleNode: Int {
        precondition(producers.count == 1 && producers[0].tag == nil, "name and parallelism apply to an operator's main output, not to a union or side output")
        return producers[0].node
    }

    // MARK: - Operator settings

    /// Names the operator that produces this stream (in errors, metrics and `explain()`).
    @inlinable public func name(_ name: String) -> DataStream {
        graph.setName(name, of: singleNode)
        return self
    }

    /// Sets the number of parallel subtasks of the operator that produces this stream.
    @inlinable public func parallelism(_ parallelism: Int) -> DataStream {
        precondition(parallelism >= 1, "parallelism must be at least 1")
        graph.setParallelism(parallelism, of: singleNode)
        return self
    }

    // MARK: - Transformations

    /// One output value per input value.
    @inlinable public func map<Output: Sendable>(name: String = "Map", _ transform: @escaping @Sendable (Value) throws -> Output) -> DataStream<Output> {
        addOperator(name: name, inputs: edges(.forward)) { MapOperator(output: $0, transform: transform) }
    }

    /// The values for which `predicate` is true.
    @inlinable public func filter(name: String = "Filter", _ predicate: @escaping @Sendable (Value) throws -> Bool) -> DataStream<Value> {
        addOperator(name: name, inputs: edges(.forward)) { FilterOperator(output: $0, predicate: predicate) }
    }

    /// Zero or more output values per input value.
    @inlinable public func flatMap<Results: Sequence>(name: String = "FlatMap", _ transform: @escaping @Sendable (Value) throws -> Results) -> DataStream<Results.Element> where Results.Element: Sendable {
        addOperator(name: name, inputs: edges(.forward)) { FlatMapOperator(output: $0, transform: transform) }
    }

    /// Event timestamps and watermarks for this stream, from `strategy`.
    @inlinable public func assignTimestampsAndWatermarks(_ strategy: WatermarkStrategy<Value>, name: String = "Timestamps/Watermarks") -> DataStream<Value> {
        addOperator(name: name, inputs: edges(.forward)) { TimestampsAndWatermarksOperator(output: $0, strategy: strategy) }
    }

    /// Each record as ``WatermarkedElement/value(_:)`` and, at most once per `interval` of
    /// processing time, the watermark as ``WatermarkedElement/watermark(_:)`` (the end of time
    /// always): for a sink that writes event time out of the job with the records — another
    /// job, or another task of a worker group, then reads its watermark from them instead of
    /// guessing it from timestamps that writers running at different speeds interleave.
    /// Watermarks also pass on as watermarks.
    @inlinable public func materializingWatermarks(every interval: Duration = .milliseconds(200), name: String = "Watermarks") -> DataStream<WatermarkedElement<Value>> {
        addOperator(name: name, inputs: edges(.forward)) { WatermarkMaterializingOperator(output: $0, interval: interval) }
    }

    /// Partitions the stream by key: all values with the same key go to the same subtask, and
    /// keyed state and timers downstream are scoped to the key.
    @inlinable public func keyBy<Key: StreamKey>(_ keySelector: @escaping @Sendable (Value) -> Key) -> KeyedStream<Key, Value> {
        KeyedStream(stream: self, keySelector: keySelector)
    }

    /// Distributes values round-robin over the next operator's subtasks.
    @inlinable public func rebalance() -> RebalancedStream<Value> { RebalancedStream(stream: self) }

    /// The values of this stream and of `others` (of the same type) as one stream. The
    /// watermark of the merged stream is the minimum of its inputs'.
    @inlinable public func union(_ others: DataStream<Value>...) -> DataStream<Value> {
        for other in others { precondition(other.environment === environment, "streams of different environments cannot be united") }
        return DataStream(environment: environment, producers: producers + others.flatMap(\.producers))
    }

    /// The side output `tag` of the operator that produced this stream (for example a window's
    /// late records).
    @inlinable public func sideOutput<T: Sendable>(_ tag: OutputTag<T>) -> DataStream<T> {
        DataStream<T>(environment: environment, producers: [.init(node: singleNode, tag: tag.id)])
    }

    /// Writes the stream to `sink`.
    @discardableResult
    @inlinable public func sink<S: Sink>(_ sink: S, name: String = "Sink") -> StreamSinkHandle where S.Input == Value {
        let stream: DataStream<Never> = addOperator(name: name, inputs: edges(.forward)) { _ in
            SinkOperator(makeWriter: { try sink.makeWriter($0) })
        }
        return StreamSinkHandle(environment: environment, node: stream.producers[0].node)
    }

    /// Writes the stream through a two-phase-commit sink: exactly-once output when the job takes
    /// checkpoints (the sink's transactions become visible when their checkpoint completes).
    @discardableResult
    @inlinable public func sink<S: TwoPhaseCommitSink>(_ sink: S, name: String = "Sink", options: TwoPhaseCommitOptions = TwoPhaseCommitOptions()) -> StreamSinkHandle where S.Input == Value {
        let stream: DataStream<Never> = addOperator(name: name, inputs: edges(.forward)) { _ in
            TwoPhaseCommitSinkOperator(sink: sink, options: options)
        }
        environment.graph.setReplay(sink.replay, of: stream.producers[0].node)
        return StreamSinkHandle(environment: environment, node: stream.producers[0].node)
    }

    /// Prints every value to standard output, prefixed with the subtask when parallel.
    @discardableResult
    @inlinable public func print(_ prefix: String = "") -> StreamSinkHandle {
        sink(PrintSink(prefix: prefix), name: "Print")
    }
}

/// The sink operator of a stream, to name it or set its parallelism.
public struct StreamSinkHandle {
    @usableFromInline init(environment: StreamEnvironment, node: Int) { self.environment = environment; self.node = node }
    @usableFromInline let environment: StreamEnvironment
    @usableFromInline let node: Int

    /// Names the sink operator (in errors, metrics and `explain()`).
    @discardableResult
    public func name(_ name: String) -> StreamSinkHandle {
        environment.graph.setName(name, of: node)
        return self
    }

    /// Sets the number of parallel subtasks of the sink operator.
    @discardableResult
    public func parallelism(_ parallelism: Int) -> StreamSinkHandle {
        precondition(parallelism >= 1, "parallelism must be at least 1")
        environment.graph.setParallelism(parallelism, of: node)
        return self
    }
}

/// A stream whose next operator receives values round-robin.
public struct RebalancedStream<Value: Sendable> {
    @usableFromInline init(stream: DataStream<Value>) { self.stream = stream }
    @usableFromInline let stream: DataStream<Value>

    /// One output value per input value, the inputs dealt round-robin over the map's subtasks.
    @inlinable public func map<Output: Sendable>(name: String = "Map", _ transform: @escaping @Sendable (Value) throws -> Output) -> DataStream<Output> {
        stream.addOperator(name: name, inputs: stream.edges(.rebalance)) { MapOperator(output: $0, transform: transform) }
    }

    /// Writes the values into `sink`, dealt round-robin over the sink's subtasks.
    @discardableResult
    @inlinable public func sink<S: Sink>(_ sink: S, name: String = "Sink") -> StreamSinkHandle where S.Input == Value {
        let result: DataStream<Never> = stream.addOperator(name: name, inputs: stream.edges(.rebalance)) { _ in
            SinkOperator(makeWriter: { try sink.makeWriter($0) })
        }
        return StreamSinkHandle(environment: stream.environment, node: result.producers[0].node)
    }
}
