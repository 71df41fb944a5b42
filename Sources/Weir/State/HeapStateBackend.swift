/// Keeps keyed state in memory, one Swift dictionary per key group (see ``KeyedStateTable``),
/// with copy-on-write snapshots that cost O(key groups) on the task thread.
public struct HeapStateBackend: StateBackend {
    /// The heap backend.
    public init() {}

    /// A store of dictionaries for one operator subtask, loaded from `restoring`.
    public func makeKeyedStateStore(for location: OperatorLocation, keyGroups: KeyGroupRange, maxParallelism: Int,
                                    restoring: [String: [KeyGroupBlob]]) -> any KeyedStateStore {
        KeyedStateTableStore(keyGroups: keyGroups, maxParallelism: maxParallelism, restoring: restoring)
    }
}
