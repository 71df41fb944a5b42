/// What the runtime gives an operator instance when it opens: who it is, its state (restored
/// from a checkpoint if the job was), its side outputs.
@usableFromInline final class OperatorContext {
    @usableFromInline let location: OperatorLocation
    /// Identifies the operator's state in checkpoints.
    @usableFromInline let operatorID: String
    @usableFromInline let maxParallelism: Int
    /// Key groups this subtask owns (meaningful for keyed operators).
    @usableFromInline let keyGroupRange: KeyGroupRange
    @usableFromInline let stateBackend: any StateBackend
    @usableFromInline let metrics: OperatorMetrics
    @usableFromInline let sideOutputs: [String: AnyObject]
    /// How often the job takes checkpoints; `nil` without checkpoints (a two-phase-commit sink
    /// commits only with them).
    @usableFromInline let checkpointInterval: Duration?
    /// Completed checkpoints the job keeps (``CheckpointConfiguration/retainedCheckpoints``).
    @usableFromInline var retainedCheckpoints = 2
    @usableFromInline var checkpointingEnabled: Bool { checkpointInterval != nil }
    /// The name the job was executed with.
    @usableFromInline let jobName: String
    /// Reports a warning (the environment's warning handler).
    @usableFromInline let warn: @Sendable (String) -> Void
    /// What a checkpoint holds for this subtask, if the job was restored.
    @usableFromInline var restored: RestoredOperatorState?
    @usableFromInline var store: (any KeyedStateStore)?

    @usableFromInline init(location: OperatorLocation, operatorID: String, maxParallelism: Int, stateBackend: any StateBackend, metrics: OperatorMetrics,
         sideOutputs: [String: AnyObject], restored: RestoredOperatorState?, checkpointInterval: Duration? = nil,
         jobName: String = "Weir job", warn: @escaping @Sendable (String) -> Void = { _ in }) {
        self.checkpointInterval = checkpointInterval
        self.jobName = jobName
        self.warn = warn
        self.location = location
        self.operatorID = operatorID
        self.maxParallelism = maxParallelism
        self.keyGroupRange = KeyGroupRange.forSubtask(location.subtask, parallelism: location.parallelism, maxParallelism: maxParallelism)
        self.stateBackend = stateBackend
        self.metrics = metrics
        self.sideOutputs = sideOutputs
        self.restored = restored
    }

    /// The output for `tag`, or `nil` if no stream consumes that side output.
    @usableFromInline func sideOutput<T: Sendable>(_ tag: OutputTag<T>) -> Output<T>? {
        guard let output = sideOutputs[tag.id] else { return nil }
        guard let typed = output as? Output<T> else {
            preconditionFailure("side output '\(tag.id)' of \(location) is emitted as \(T.self) but read as another type; give each OutputTag its own id")
        }
        return typed
    }

    /// The operator's keyed state store, created on first use (with the restored tables).
    @usableFromInline func keyedStateStore() throws -> any KeyedStateStore {
        if let store { return store }
        let created = try stateBackend.makeKeyedStateStore(for: location, keyGroups: keyGroupRange, maxParallelism: maxParallelism,
                                                       restoring: restored?.keyed ?? [:], native: restored?.native ?? [],
                                                       sharedFiles: restored?.sharedFiles)
        store = created
        return created
    }

    /// Timers registered while the store is not Weir's table store: kept in memory, snapshotted
    /// with the operator's keyed parts.
    @usableFromInline var ownTimers: [String: any SnapshottingTable] = [:]

    /// Registers an operator's timer queue under `name` (its name in checkpoints), restored
    /// from the checkpoint if the job was: the keyed state store keeps it with its tables (in
    /// a disk-backed backend's column, then, not in memory).
    @usableFromInline func register<Key, Namespace>(_ timers: TimerQueue<Key, Namespace>, named name: String) throws {
        if let store = try keyedStateStore() as? KeyedStateTableStore { return try store.register(timers, named: name) }
        timers.maxParallelism = maxParallelism
        try timers.restore(takeRestoredPart(name))
        ownTimers[name] = timers
    }

    /// Restored blobs of a keyed part the operator keeps itself, handed out once.
    @usableFromInline func takeRestoredPart(_ name: String) -> [KeyGroupBlob] {
        restored?.keyed.removeValue(forKey: name) ?? []
    }

    /// This subtask's share of the restored operator list state, handed out once.
    @usableFromInline func takeRestoredListState() -> [[UInt8]]? {
        defer { restored?.listState = nil }
        return restored?.listState
    }

    /// A cheap, consistent copy of the operator's state at checkpoint `checkpointID`, to be
    /// serialized elsewhere.
    @usableFromInline func snapshot(of op: any OperatorLifecycle, checkpointID: Int64) throws -> OperatorSnapshot {
        let keyed = try store?.snapshot()
        var parts = keyed?.tables ?? [:]
        let extras = try op.snapshotExtras(checkpointID: checkpointID, maxParallelism: maxParallelism)
        parts.merge(extras.keyed) { current, _ in current }
        parts.merge(ownTimers.mapValues { $0.checkpointSnapshot() }) { current, _ in current }
        return OperatorSnapshot(operatorID: operatorID, subtask: location.subtask, parallelism: location.parallelism,
                                maxParallelism: maxParallelism, keyed: parts, listState: extras.listState, native: keyed?.native)
    }
}

/// The state a checkpoint holds for one operator subtask (its key groups; its share of the list state).
@usableFromInline struct RestoredOperatorState: Sendable {
    /// The checkpoint restored.
    @usableFromInline var checkpointID: Int64
    @usableFromInline var keyed: [String: [KeyGroupBlob]]
    /// State in a backend's own files whose key groups overlap this subtask's.
    @usableFromInline var native: [NativeKeyedStateHandle] = []
    /// Where ``native``'s shared files are.
    @usableFromInline var sharedFiles: SharedStateFiles?
    /// This subtask's share of the operator's list state (its own entries at the same
    /// parallelism, every parallelism-th otherwise).
    @usableFromInline var listState: [[UInt8]]?
    /// Every entry of the operator's list state, of all subtasks (for state every subtask must
    /// see, such as the transactions a sink may not treat as lingering).
    @usableFromInline var allListState: [[UInt8]] = []
    /// The operator's parallelism in the run that took the checkpoint.
    @usableFromInline var parallelism: Int?
}

/// What an operator keeps besides its keyed state store: timers, list state (positions, transactions).
@usableFromInline struct OperatorExtras {
    @usableFromInline init(keyed: [String: any KeyedStateTableSnapshot] = [:], listState: [[UInt8]] = []) { self.keyed = keyed; self.listState = listState }
    @usableFromInline var keyed: [String: any KeyedStateTableSnapshot] = [:]
    @usableFromInline var listState: [[UInt8]] = []
}

/// One operator subtask's state at a checkpoint, as immutable values.
@usableFromInline struct OperatorSnapshot: Sendable {
    @usableFromInline init(operatorID: String, subtask: Int, parallelism: Int, maxParallelism: Int, keyed: [String: any KeyedStateTableSnapshot], listState: [[UInt8]],
                           native: (any NativeKeyedStateSnapshot)? = nil) { self.operatorID = operatorID; self.subtask = subtask; self.parallelism = parallelism; self.maxParallelism = maxParallelism; self.keyed = keyed; self.listState = listState; self.native = native }
    @usableFromInline let operatorID: String
    @usableFromInline let subtask: Int
    @usableFromInline let parallelism: Int
    @usableFromInline let maxParallelism: Int
    @usableFromInline let keyed: [String: any KeyedStateTableSnapshot]
    @usableFromInline let listState: [[UInt8]]
    /// The keyed state store's own files, if its backend checkpoints them (incremental RocksDB).
    @usableFromInline let native: (any NativeKeyedStateSnapshot)?

    /// Serializes the state (off the task thread), uploading the native files `sharedFiles`
    /// does not hold yet.
    @usableFromInline func serialize(checkpointID: Int64, sharedFiles: SharedStateFiles) throws -> OperatorStateFile {
        OperatorStateFile(operatorID: operatorID, subtask: subtask, parallelism: parallelism, maxParallelism: maxParallelism,
                          keyed: try keyed.mapValues { try $0.serializeKeyGroups() }, listState: listState,
                          native: try native?.persist(checkpointID: checkpointID, to: sharedFiles))
    }
}
