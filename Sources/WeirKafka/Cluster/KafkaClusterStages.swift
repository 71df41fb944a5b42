@_spi(ClusterRunner) import Weir

/// The stages of a cluster job as Kafka topics: the one input topic, and the repartition
/// topics the later stages read — checked so that each is a task per partition of one topic.
struct KafkaClusterStages {
    let inputTopic: String
    let repartitionTopics: [RepartitionTopic]

    init(_ stages: [ClusterStage]) throws {
        var inputs: [(topic: String, stage: ClusterStage)] = []
        var repartitions: [RepartitionTopic] = []
        for stage in stages {
            guard let source = stage.source as? any KafkaStageSource else {
                throw JobError.invalidJob("source '\(stage.sourceName)' is not a KafkaSource; a Kafka group's tasks are the partitions of Kafka topics")
            }
            guard source.topics.count == 1, let topic = source.topics.first else {
                throw JobError.invalidJob("source '\(stage.sourceName)' reads \(source.topics.count) topics (\(source.topics.joined(separator: ", "))); a stage of a Kafka group job reads one topic, a task per partition")
            }
            if let repartition = source.repartitionTopic {
                guard repartition.name == topic else {
                    throw JobError.invalidJob("source '\(stage.sourceName)' reads \(topic) but its repartitionTopic is \(repartition.name)")
                }
                guard !repartitions.contains(where: { $0.name == topic }) else {
                    throw JobError.invalidJob("two stages read repartition topic \(topic); each partition must be one task's")
                }
                repartitions.append(repartition)
            } else {
                inputs.append((topic, stage))
            }
        }
        guard inputs.count == 1, let input = inputs.first else {
            throw JobError.invalidJob(inputs.isEmpty
                ? "the job reads only repartition topics; its first stage reads the input topic (a KafkaSource without repartitionTopic)"
                : "the job reads \(inputs.count) input topics (\(inputs.map { "\($0.topic) by '\($0.stage.sourceName)'" }.joined(separator: ", "))); a Kafka group job reads one, and its later stages read repartition topics")
        }
        guard !repartitions.contains(where: { $0.name == input.topic }) else {
            throw JobError.invalidJob("\(input.topic) is read both as the input and as a repartition topic")
        }
        inputTopic = input.topic
        repartitionTopics = repartitions
    }
}

/// What the stages need of a ``KafkaSource``, whatever its deserializer.
protocol KafkaStageSource {
    var topics: [String] { get }
    var repartitionTopic: RepartitionTopic? { get }
}

extension KafkaSource: KafkaStageSource {}
