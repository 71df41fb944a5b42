import Weir

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
        let records = materializingWatermarks(every: watermarkInterval, name: "\(name) watermarks").flatMap(name: "\(name) records") { element -> [KafkaProducerRecord] in
            switch element {
            case .value(let value):
                var record = try serializer.serialize(value)
                record.partition = topic.partition(of: key(value))
                return [record]
            case .watermark(let watermark):
                return (0..<topic.partitions).map { topic.watermarkRecord(watermark, writer: writer, partition: $0) }
            }
        }
        var sink = KafkaSink(bootstrap: bootstrap, topic: topic.name, serializer: KafkaClosureSerializer { $0 }, guarantee: .exactlyOnce)
        sink.transactionalIDPrefix = transactionalIDPrefix
        return records.sink(sink, name: name)
    }
}
