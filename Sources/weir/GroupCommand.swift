import ArgumentParser
import Foundation
import Weir
#if Kafka
import WeirKafka
#endif

/// `weir group`: the workers of a consumer group, their tasks, each task's lag and latest
/// completed checkpoint (see docs/CLUSTER.md).
struct GroupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "Show a group of weir workers: its state, each worker's tasks, and per task its lag and latest checkpoint.",
        discussion: """
            The workers and tasks come from the group's coordinator (DescribeGroups). The tasks are \
            one per partition of --input-topic (the read tasks) and, if the group's job has a \
            repartition hop, one per partition of <group>-repartition (the window tasks). A task's \
            latest checkpoint is read from --checkpoint-dir/tasks/<task>, and its lag is what its \
            partition holds (read_committed) beyond the position in that checkpoint — where a \
            restore would start. Without --checkpoint-dir the lag is taken from the positions \
            workers commit for the group <group>.positions after each checkpoint, which a \
            worker that was paused past its session can still overwrite with older ones.

            Example:
              weir group --kafka-bootstrap 127.0.0.1:9092 --group weir-reference --input-topic weir-events \\
                  --checkpoint-dir s3://state/weir-reference --s3-endpoint http://127.0.0.1:9000
            """)

    @Option(help: "A broker, host:port.") var kafkaBootstrap: String = "127.0.0.1:9092"
    @Option(help: "The workers' consumer group.") var group: String = "weir-reference"
    @Option(help: "The topic the workers read (one task per partition), for the lag per task.") var inputTopic: String = "weir-events"
    @Option(help: "The workers' --checkpoint-dir, for each task's latest checkpoint (a directory or s3://bucket/prefix).") var checkpointDir: String?
    @OptionGroup var s3: S3Options

    func validate() throws {
        if let checkpointDir, checkpointDir.hasPrefix("s3://"), !StorageLocation.s3IsBuiltIn { throw StorageLocation.s3Missing }
    }

    func run() throws {
        #if Kafka
        guard let broker = try? BrokerAddress(kafkaBootstrap) else { throw ValidationError("--kafka-bootstrap \(kafkaBootstrap) is not host:port") }
        let (group, inputTopic, needsCommitted) = (group, inputTopic, checkpointDir == nil)
        let (status, partitionEnds) = try awaitOnTaskThread {
            let client = KafkaClient(bootstrap: [broker])
            do {
                let status = try await WorkerGroupStatus.describe(group: group, client: client)
                let repartitionTopic = WorkerCommand.repartitionTopic(of: group)
                let metadata = try await client.refreshMetadata(topics: [inputTopic, repartitionTopic])
                guard let topic = metadata.topics.first(where: { $0.name == inputTopic }), topic.errorCode == .none else {
                    throw ValidationError("the input topic \(inputTopic) does not exist at \(broker)")
                }
                var partitions = topic.partitions.map { TopicPartition(topic: inputTopic, partition: $0.index) }.sorted()
                // A co-partitioned job has no repartition topic: then only the input's tasks.
                if let hop = metadata.topics.first(where: { $0.name == repartitionTopic }), hop.errorCode == .none {
                    partitions += hop.partitions.map { TopicPartition(topic: repartitionTopic, partition: $0.index) }.sorted()
                }
                // Only without --checkpoint-dir: then the lag is taken from them.
                let committed = needsCommitted ? try await client.committedOffsets(groupID: WorkerGroupStatus.positionsGroup(of: group), partitions: partitions) : [:]
                var partitionEnds: [(TopicPartition, end: Int64, committed: Int64?)] = []
                for partition in partitions {
                    partitionEnds.append((partition, try await KafkaConsumer.end(of: partition, client: client, isolationLevel: .readCommitted), committed[partition]))
                }
                await client.close()
                return (status, partitionEnds)
            } catch {
                await client.close()
                throw error
            }
        }
        print("group \(status.group): \(status.state), \(status.workers.count) worker\(status.workers.count == 1 ? "" : "s")"
              + (status.protocolName.isEmpty ? "" : " (protocol \(status.protocolName))"))
        func taskName(_ partition: TopicPartition) -> String {
            WorkerTask(input: partition, partitionCount: Int32(partitionEnds.filter { $0.0.topic == partition.topic }.count)).name
        }
        let checkpoints = LatestTaskCheckpoints(checkpointDir: checkpointDir, s3: s3)
        let tasks = partitionEnds.map { partition, end, committed in
            let latest = checkpoints.latest(of: taskName(partition))
            let position = checkpointDir != nil ? latest.positions[partition] : committed
            return (partition, lag: position.map { max(0, end - $0) }, checkpoint: latest.description)
        }
        var owner: [TopicPartition: String] = [:]
        for worker in status.workers {
            let name = worker.instanceID.map { "\($0) (\(worker.memberID))" } ?? worker.memberID
            let listed = !worker.assignmentReported ? "no assignment reported by the coordinator (Tansu reports none; each task's worker is in its log)"
                : worker.tasks.map { $0.isEmpty ? "no tasks" : $0.map { taskName($0) }.joined(separator: ", ") } ?? "an assignment not in Weir's format"
            print("  worker \(name)\(worker.host.isEmpty ? "" : " at \(worker.host)"): \(listed)")
            for task in worker.tasks ?? [] { owner[task] = worker.instanceID ?? worker.memberID }
        }
        print("task\tworker\tlag\tlatest checkpoint")
        for (partition, lag, checkpoint) in tasks {
            print("\(taskName(partition))\t\(owner[partition] ?? "-")\t\(lag.map(String.init) ?? "-")\t\(checkpoint)")
        }
        #else
        throw KafkaSupport.missing
        #endif
    }
}

#if Kafka
/// Each task's latest completed checkpoint in a group's `--checkpoint-dir`: its id and time for
/// the table, and the input positions it holds (where a restore of the task starts).
private struct LatestTaskCheckpoints {
    /// The job's storage (opened once for every task), or why it cannot be read; `nil`
    /// without --checkpoint-dir.
    let storage: Result<any CheckpointStorage, any Error>?

    init(checkpointDir: String?, s3: S3Options) {
        storage = checkpointDir.map { directory in Result { try s3.location(directory).checkpointStorage() } }
    }

    /// The task's latest completed checkpoint described (or why there is none) and its positions.
    func latest(of task: String) -> (description: String, positions: [TopicPartition: Int64]) {
        guard let storage else { return ("- (give --checkpoint-dir)", [:]) }
        do {
            let jobStorage = try storage.get()
            guard let storage = KafkaGroupCluster.taskCheckpoints(of: task, in: jobStorage) else {
                return ("unreadable: \(jobStorage.location) cannot hold a storage per task", [:])
            }
            guard let latest = try storage.storedCheckpoints().first(where: \.isComplete) else { return ("none", [:]) }
            let (metadata, states) = try CheckpointInspector.load(latest, in: storage)
            return ("\(metadata.checkpointID) (\(CheckpointsCommand.time(metadata.triggeredAt)))\(metadata.isFinal ? ", final" : "")",
                    KafkaCheckpointPositions.positions(in: states))
        } catch {
            return ("unreadable: \(error)", [:])
        }
    }
}
#endif
