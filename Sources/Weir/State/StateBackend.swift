/// What a state value must be: codable for checkpoints, sendable so that a snapshot can be
/// serialized off the task thread.
public typealias StateValue = Codable & Sendable

/// Where keyed state lives. ``HeapStateBackend`` keeps it in memory; WeirRocksDB's
/// `RocksDBStateBackend` on local disk, behind ``KeyedStateColumn``s. Operators do not know
/// which one they run on: they see ``KeyedStateTable``s either way.
public protocol StateBackend: Sendable {
    /// The keyed state store of one subtask of a keyed operator, holding the key groups
    /// `keyGroups` of `maxParallelism`, with the tables of a checkpoint (`restoring`, by table
    /// name) loaded when they are first used.
    /// - Throws: if the backend cannot open its storage (the operator fails to open).
    func makeKeyedStateStore(for location: OperatorLocation, keyGroups: KeyGroupRange, maxParallelism: Int,
                             restoring: [String: [KeyGroupBlob]]) throws -> any KeyedStateStore

    /// The same, restoring also state in a backend's own files (`native`: the handles of an
    /// incremental checkpoint whose key groups overlap `keyGroups`), read from `sharedFiles`.
    /// Default: refuses native state (only the backend that wrote it can read it) and calls
    /// ``makeKeyedStateStore(for:keyGroups:maxParallelism:restoring:)``.
    func makeKeyedStateStore(for location: OperatorLocation, keyGroups: KeyGroupRange, maxParallelism: Int,
                             restoring: [String: [KeyGroupBlob]], native: [NativeKeyedStateHandle],
                             sharedFiles: SharedStateFiles?) throws -> any KeyedStateStore
}

extension StateBackend {
    public func makeKeyedStateStore(for location: OperatorLocation, keyGroups: KeyGroupRange, maxParallelism: Int,
                                    restoring: [String: [KeyGroupBlob]], native: [NativeKeyedStateHandle],
                                    sharedFiles: SharedStateFiles?) throws -> any KeyedStateStore {
        if let handle = native.first {
            throw CheckpointError.incompatible("the checkpoint holds the state of \(location) in \(handle.format) files (an incremental checkpoint), which \(type(of: self)) cannot read; restore it with the backend that wrote it (weir run --state-backend \(handle.format)), or take checkpoints with RocksDBStateBackend(incrementalCheckpoints: false) to switch backends")
        }
        return try makeKeyedStateStore(for: location, keyGroups: keyGroups, maxParallelism: maxParallelism, restoring: restoring)
    }
}

/// The keyed state of one operator subtask: named tables, each mapping keys to values,
/// partitioned by key group.
public protocol KeyedStateStore: AnyObject {
    /// The key groups this subtask owns.
    var keyGroups: KeyGroupRange { get }
    /// The number of key groups of the job.
    var maxParallelism: Int { get }

    /// The table named `name`, created on first use.
    /// - Throws: ``StateError/typeMismatch(name:existing:requested:)`` if `name` is already
    ///   registered with other key or value types.
    func table<Key: StreamKey, Value: StateValue>(named name: String, key: Key.Type, value: Value.Type) throws -> KeyedStateTable<Key, Value>

    /// A consistent copy of every table, cheap to take (no entry is copied on the task thread),
    /// safe to read from another thread while the task goes on mutating its state.
    /// - Throws: if a disk-backed backend cannot take its checkpoint (the task fails).
    func snapshot() throws -> KeyedStateSnapshot
}

/// Errors of state registration and access.
public enum StateError: Error, CustomStringConvertible, Equatable {
    /// Two registrations of state `name` ask for different key or value types.
    case typeMismatch(name: String, existing: String, requested: String)
    /// A key of a key group another subtask owns reached this one (a key selector that is not deterministic).
    case keyGroupNotOwned(keyGroup: Int, owned: KeyGroupRange)

    /// What is wrong, and what to do.
    public var description: String {
        switch self {
        case let .typeMismatch(name, existing, requested):
            return "state '\(name)' is registered as \(existing) and cannot be used as \(requested); give each state its own name"
        case let .keyGroupNotOwned(keyGroup, owned):
            return "key group \(keyGroup) does not belong to this subtask (it owns \(owned)); the key selector is probably not deterministic"
        }
    }
}
