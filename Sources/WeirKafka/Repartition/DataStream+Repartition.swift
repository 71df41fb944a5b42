@_spi(ClusterRunner) import Weir

extension DataStream {
    /// Writes the stream into a repartition topic, exactly once: each record to the partition of
    /// its key's key group (``RepartitionTopic/partition(of:)``), and this writer's watermark into
    /// every partition at most every `watermarkInterval` (and its end of time when its input
    /// ends), in Kafka transactions committed with the job's checkpoints.
    ///
    /// `writer` is this task's number among the topic's ``RepartitionTopic/writers`` (for a worker
    /// task: its input partition), and `transactionalIDPrefix` must be the task's own, stable
    /// across restarts: the next run of the task fences this one's producers with it and resumes
    /// the transactions its checkpoint pre-committed. The serializer's record gets its
    /// partition set here; leave its timestamp `nil`, so that the record carries its event time
    /// to the reading task.
    @discardableResult
    public func repartition<Key: StreamKey, Serializer: KafkaRecordSerializer<Value>>(
        into topic: RepartitionTopic, writer: Int, bootstrap: [BrokerAddress], transactionalIDPrefix: String,
        key: @escaping @Sendable (Value) -> Key, serializer: Serializer,
        watermarkInterval: Duration = .milliseconds(200), name: String = "Repartition"
    ) -> StreamSinkHandle {
        precondition(writer >= 0 && writer < topic.writers, "writer \(writer) is not one of the \(topic.writers) writers of \(topic.name)")
        let records = materializingWatermarks(every: watermarkInterval, name: "\(name) watermarks")
            .flatMap(name: "\(name) records", RepartitionTopic.records(of: topic, writer: writer, key: key, serializer: serializer))
        var sink = KafkaSink(bootstrap: bootstrap, topic: topic.name, serializer: KafkaClosureSerializer { $0 }, guarantee: .exactlyOnce)
        sink.transactionalIDPrefix = transactionalIDPrefix
        return records.sink(sink, name: name)
    }

    /// Writes the stream into a repartition topic from every task of a cluster job
    /// (`StreamEnvironment.cluster`): as ``repartition(into:writer:bootstrap:transactionalIDPrefix:key:serializer:watermarkInterval:name:)``,
    /// with the task's partition of the stage's input as its writer number (the topic's
    /// ``RepartitionTopic/writers`` must be that input's partition count, or the task does not
    /// start) and transactional ids named after the task's job. The stage that reads `topic`
    /// (a ``KafkaSource`` with ``KafkaSource/repartitionTopic``) is a stage of its own, one task
    /// per partition. A job with this sink runs only in a cluster.
    @discardableResult
    public func repartition<Key: StreamKey, Serializer: KafkaRecordSerializer<Value>>(
        into topic: RepartitionTopic, bootstrap: [BrokerAddress],
        key: @escaping @Sendable (Value) -> Key, serializer: Serializer,
        watermarkInterval: Duration = .milliseconds(200), name: String = "Repartition"
    ) -> StreamSinkHandle {
        let records = materializingWatermarks(every: watermarkInterval, name: "\(name) watermarks").flatMapPerClusterTask(
            name: "\(name) records",
            outsideCluster: "'\(name)' writes repartition topic \(topic.name) as the task of a cluster job it runs in: set StreamEnvironment.cluster (.kafkaGroup(…)), or give repartition(into:writer:…) a writer number and transactional ids"
        ) { task in
            guard Int(task.partitionCount) == topic.writers else {
                throw RepartitionError.invalidTopic(topic.name, reason: "it has \(topic.writers) writers, but the stage writing it has \(task.partitionCount) tasks (the partitions of \(task.input)); make the topic with writers: \(task.partitionCount)")
            }
            return RepartitionTopic.records(of: topic, writer: Int(task.partition), key: key, serializer: serializer)
        }
        // Transactional ids from the task's job name and the sink's: each task has its own.
        return records.sink(KafkaSink(bootstrap: bootstrap, topic: topic.name, serializer: KafkaClosureSerializer { $0 }, guarantee: .exactlyOnce), name: name)
    }
}

extension RepartitionTopic {
    /// What writer `writer` sends into the topic for an element: a record to its key group's
    /// partition, or its watermark to every partition.
    static func records<Value, Key: StreamKey, Serializer: KafkaRecordSerializer<Value>>(
        of topic: RepartitionTopic, writer: Int, key: @escaping @Sendable (Value) -> Key, serializer: Serializer
    ) -> @Sendable (WatermarkedElement<Value>) throws -> [KafkaProducerRecord] {
        { element in
            switch element {
            case .value(let value):
                var record = try serializer.serialize(value)
                record.partition = topic.partition(of: key(value))
                return [record]
            case .watermark(let watermark):
                return (0..<topic.partitions).map { topic.watermarkRecord(watermark, writer: writer, partition: $0) }
            }
        }
    }
}
