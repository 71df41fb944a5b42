import Foundation
import NIOCore
import Synchronization
import Weir

/// One of N identical worker processes that run a job together, coordinated by Kafka's
/// consumer-group protocol instead of a cluster of Weir's own: the group (named after the job)
/// is the membership, its session timeout the failure detector, and Weir's sticky assignor,
/// run by the group's leader, deals the tasks — one per partition of the input topic.
///
/// Each task is the job over its partition (`makeJob` builds it, reading only
/// ``WorkerTask/input``), with its state checkpointed into storage of its own (`checkpointStorage`,
/// shared by all workers: S3 in production) and transactional ids of its own. A task that moves
/// restores there from its latest completed checkpoint and resumes its pre-committed
/// transactions, as a restarted single-process job does; so each task is exactly-once on its own.
///
/// Rebalances are eager: when the group changes every worker stops all its tasks before it
/// joins again, then starts what it is given (the assignment keeps a task where it was when
/// balance allows, but even a kept task restarts from its checkpoint). A worker paused past its
/// session (a zombie) finds out at its next heartbeat; until then its ``WorkerLease`` keeps it
/// from completing checkpoints, and the task's Kafka producer epochs and the storage's run
/// claims fence what it still tries. docs/CLUSTER.md has the argument and what it does not cover.
///
/// Tasks exchange records only through Kafka: a job whose keys are spread over the input
/// partitions either has its input partitioned by key (``CoPartitionedDeserializer`` checks it)
/// or crosses a repartition hop — the tasks of the input stage write into a
/// ``RepartitionTopic`` exactly once, and the tasks of the next stage, one per partition of it
/// (``Configuration/repartitionTopics``), read it read_committed. A task is then (stage,
/// partition): `makeJob` builds the stage whose topic ``WorkerTask/input`` names.
public final class KafkaGroupWorker: Sendable {
    /// Where the group and the input are, and the group protocol's timings.
    public struct Configuration: Sendable {
        /// Brokers to learn the cluster from.
        public var bootstrap: [BrokerAddress]
        /// The consumer group the workers form: one per job.
        public var group: String
        /// The input topic; one task per partition.
        public var inputTopic: String
        /// The repartition topics between the job's stages (``RepartitionTopic``): one task per
        /// partition of each too, reading it. Created before the workers start.
        public var repartitionTopics: [String] = []
        /// Static membership (KIP-345): a worker that restarts with the same id within the
        /// session timeout gets its tasks back without a rebalance. `nil`: dynamic.
        public var instanceID: String?
        /// How long the coordinator waits for a silent worker before it gives the worker's tasks
        /// to the others. Default 10 s.
        public var sessionTimeout: Duration = .seconds(10)
        /// How long a rebalance waits for every worker to join again. Default 30 s.
        public var rebalanceTimeout: Duration = .seconds(30)
        /// The Kafka client's connection settings.
        public var client = KafkaClientConfiguration()

        /// Workers of `group` over the partitions of `inputTopic`.
        public init(bootstrap: [BrokerAddress], group: String, inputTopic: String) {
            self.bootstrap = bootstrap
            self.group = group
            self.inputTopic = inputTopic
        }

        /// A heartbeat every third of the session timeout, as Kafka's clients do.
        var heartbeatInterval: Duration { sessionTimeout / 3 }
        /// The lease ends a heartbeat interval before the coordinator could expire the session.
        var leaseDuration: Duration { sessionTimeout - heartbeatInterval }
    }

    /// What the worker is doing, for `weir` and for logs.
    public struct Status: Sendable, Hashable {
        /// The group generation the worker's tasks belong to (`nil` before the first join).
        public var generation: Int32?
        /// The worker's member id in the group.
        public var memberID: String
        /// Whether this worker computed the generation's assignment.
        public var isLeader: Bool
        /// The tasks assigned in this generation.
        public var tasks: [WorkerTask]
        /// Those of them whose job has ended (a bounded input read to its end).
        public var endedTasks: [WorkerTask]
    }

    let configuration: Configuration
    let jobName: String
    let checkpointStorage: @Sendable (WorkerTask) throws -> any CheckpointStorage
    let makeJob: @Sendable (WorkerTask) throws -> StreamEnvironment
    /// The name a task's job runs under (its checkpoints', and its sinks' default transactional ids).
    let taskJobName: @Sendable (WorkerTask) -> String
    let log: @Sendable (String) -> Void
    /// The worker's mutable state: its status, and whether a stop was asked for.
    private struct State {
        var stopRequested = false
        var status = Status(generation: nil, memberID: "", isLeader: false, tasks: [], endedTasks: [])
    }
    private let shared = Mutex(State())

    /// A worker of `jobName`: `makeJob` builds a task's job (its Kafka source reading only the
    /// task's partition, its sinks with transactional ids named after ``WorkerTask/name``, and
    /// checkpoints configured — the worker replaces their storage with
    /// `checkpointStorage(task)` and resumes from the latest checkpoint there).
    public convenience init(configuration: Configuration, jobName: String,
                checkpointStorage: @escaping @Sendable (WorkerTask) throws -> any CheckpointStorage,
                log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data("weir worker: \($0)\n".utf8)) },
                makeJob: @escaping @Sendable (WorkerTask) throws -> StreamEnvironment) {
        self.init(configuration: configuration, jobName: jobName, taskJobName: { _ in jobName }, checkpointStorage: checkpointStorage, log: log, makeJob: makeJob)
    }

    /// A worker whose tasks' jobs run under names of their own (``KafkaGroupCluster``).
    init(configuration: Configuration, jobName: String, taskJobName: @escaping @Sendable (WorkerTask) -> String,
         checkpointStorage: @escaping @Sendable (WorkerTask) throws -> any CheckpointStorage,
         log: @escaping @Sendable (String) -> Void, makeJob: @escaping @Sendable (WorkerTask) throws -> StreamEnvironment) {
        self.configuration = configuration
        self.jobName = jobName
        self.taskJobName = taskJobName
        self.checkpointStorage = checkpointStorage
        self.makeJob = makeJob
        self.log = log
    }

    /// The worker's current generation and tasks.
    public var status: Status { shared.withLock { $0.status } }

    /// Asks ``run()`` to stop its tasks, leave the group (so that the others take the tasks over
    /// at once instead of after the session timeout) and return. From any thread.
    public func stop() { shared.withLock { $0.stopRequested = true } }

    /// Runs tasks for the group until ``stop()`` or until a task's job fails for good (then it
    /// leaves the group and throws ``WorkerError/taskFailed(_:_:)``).
    public func run() async throws {
        let client = KafkaClient(bootstrap: configuration.bootstrap, configuration: configuration.client)
        do {
            try await runMember(client)
            await client.close()
        } catch {
            await client.close()
            throw error
        }
    }

    private enum Outcome { case rebalance, stop, failed(WorkerTask, any Error) }

    private func runMember(_ client: KafkaClient) async throws {
        let tasks = try await inputTasks(client)
        let member = GroupMember(
            client: client, groupID: configuration.group, instanceID: configuration.instanceID,
            sessionTimeout: configuration.sessionTimeout, rebalanceTimeout: configuration.rebalanceTimeout, protocolName: "weir-tasks-1",
            metadata: { [self] in TaskAssignmentCodec.encode(shared.withLock { $0.status.tasks.map(\.input) }) },
            assign: { members in
                var previous: [String: [TopicPartition]] = [:]
                // A member whose list does not decode (another version) counts as owning nothing.
                for member in members { previous[member.memberID] = (try? TaskAssignmentCodec.decode(member.metadata)) ?? [] }
                return StickyAssignment.assign(tasks.map(\.input), to: previous).mapValues(TaskAssignmentCodec.encode)
            })
        let lease = WorkerLease(duration: configuration.leaseDuration)
        var running: [RunningTask] = []
        do {
            while !shared.withLock({ $0.stopRequested }) {
                guard let generation = try await joinUnlessStopped(member) else { break }
                lease.renew(sentAt: generation.syncSentAt)
                let assigned = try TaskAssignmentCodec.decode(generation.assignment).map { input in
                    guard let task = tasks.first(where: { $0.input == input }) else {
                        throw WorkerError.input("the group's leader assigned \(input.topic)-\(input.partition), which is no task of this worker's job (does another job share group \(configuration.group)?)")
                    }
                    return task
                }
                shared.withLock { $0.status = Status(generation: generation.generationID, memberID: generation.memberID, isLeader: generation.isLeader, tasks: assigned, endedTasks: []) }
                log("generation \(generation.generationID) of group \(configuration.group)\(generation.isLeader ? " (leader)" : ""): "
                    + (assigned.isEmpty ? "no tasks" : "tasks \(assigned.map(\.name).joined(separator: ", "))"))
                for task in assigned { running.append(try start(task, lease: lease)) }
                let outcome = try await supervise(member, lease: lease, running: running)
                lease.revoke("the worker is giving up its tasks")
                for task in running { await task.cancelAndWait() }
                running = []
                switch outcome {
                case .rebalance:
                    log("the group is rebalancing: tasks stopped, joining again")
                case .stop:
                    shared.withLock { $0.stopRequested = true }
                case .failed(let task, let error):
                    try? await member.leave()
                    throw WorkerError.taskFailed(task, error)
                }
            }
            try? await member.leave()
            log("left group \(configuration.group)")
        } catch {
            lease.revoke("the worker failed")
            for task in running { await task.cancelAndWait() }
            try? await member.leave()
            throw error
        }
    }

    /// Joins the group, or returns `nil` as soon as a stop is asked for: the coordinator may
    /// hold a JoinGroup for the whole rebalance timeout, and a worker told to stop (SIGTERM from
    /// its pod's shutdown) must not wait for it. The join is given up (the actor lets the
    /// LeaveGroup in beside the pending JoinGroup), and ``run()`` leaves the group.
    private func joinUnlessStopped(_ member: GroupMember) async throws -> GroupMember.Generation? {
        let outcome = Mutex<Result<GroupMember.Generation, any Error>?>(nil)
        let joining = Task {
            do {
                let generation = try await member.join()
                outcome.withLock { $0 = .success(generation) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
        }
        while true {
            if let result = outcome.withLock({ $0 }) { return try result.get() }
            if shared.withLock({ $0.stopRequested }) {
                joining.cancel()
                log("stopped while joining group \(configuration.group)")
                return nil
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// One task per partition of the input topic and of each repartition topic.
    private func inputTasks(_ client: KafkaClient) async throws -> [WorkerTask] {
        let names = [configuration.inputTopic] + configuration.repartitionTopics
        let metadata = try await client.refreshMetadata(topics: names)
        var tasks: [WorkerTask] = []
        for name in names {
            guard let topic = metadata.topics.first(where: { $0.name == name }), topic.errorCode == .none, !topic.partitions.isEmpty else {
                let kind = name == configuration.inputTopic ? "input" : "repartition"
                throw WorkerError.input("the \(kind) topic \(name) does not exist at \(configuration.bootstrap.map(\.description).joined(separator: ", ")) or has no partitions")
            }
            let count = Int32(topic.partitions.count)
            tasks += topic.partitions.map { WorkerTask(input: TopicPartition(topic: topic.name, partition: $0.index), partitionCount: count) }
        }
        return tasks.sorted()
    }

    /// Builds and starts `task`'s job with its checkpoints in the task's storage, behind the lease.
    private func start(_ task: WorkerTask, lease: WorkerLease) throws -> RunningTask {
        let environment = try makeJob(task)
        guard var checkpointing = environment.checkpointing else {
            throw WorkerError.invalidTask(task, "a worker task needs checkpoints (StreamEnvironment.checkpointing): its state must restore on whichever worker runs it next")
        }
        checkpointing.storage = LeasedCheckpointStorage(storage: try checkpointStorage(task), lease: lease)
        environment.checkpointing = checkpointing
        environment.resume = .latest
        return RunningTask(task: task, environment: environment, jobName: taskJobName(task))
    }

    /// Heartbeats until the group rebalances, a stop is asked for, or a task fails.
    private func supervise(_ member: GroupMember, lease: WorkerLease, running: [RunningTask]) async throws -> Outcome {
        var nextHeartbeat = ProcessingClock.monotonicNanoseconds()
        let interval = UInt64(configuration.heartbeatInterval.wholeMilliseconds) * 1_000_000
        while true {
            if shared.withLock({ $0.stopRequested }) { return .stop }
            for task in running {
                guard let ended = task.ended else { continue }
                switch ended {
                case .success:
                    let first = shared.withLock { state in
                        guard !state.status.endedTasks.contains(task.task) else { return false }
                        state.status.endedTasks.append(task.task)
                        return true
                    }
                    if first { log("\(task.task) ended (its input is read to the end)") }
                case .failure(let error):
                    // A task that failed because the lease ran out lost it to a pause: rejoin
                    // (a heartbeat may have renewed the lease since, so the error says it too).
                    if (try? lease.check()) == nil || Self.isLeaseLoss(error) { return .rebalance }
                    return .failed(task.task, error)
                }
            }
            let now = ProcessingClock.monotonicNanoseconds()
            if now >= nextHeartbeat {
                nextHeartbeat = now + interval
                switch try await member.heartbeatOutcome() {
                case .accepted: lease.renew(sentAt: now)
                case .unanswered: nextHeartbeat = now + interval / 4
                case .rejoin: return .rebalance
                }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Whether a task's job failed because the worker's lease ran out (directly, or inside the
    /// operator failure that names where).
    private static func isLeaseLoss(_ error: any Error) -> Bool {
        if case WorkerError.leaseLost = error { return true }
        if let failure = error as? OperatorFailure { return isLeaseLoss(failure.underlying) }
        return false
    }
}
