/// A consistent, immutable copy of an operator subtask's keyed state at one point of its input.
///
/// It is a value: reading it from another thread while the task keeps mutating its state is
/// safe, which is what lets checkpoints serialize state asynchronously.
public struct KeyedStateSnapshot: Sendable {
    public var keyGroups: KeyGroupRange
    public var tables: [String: any KeyedStateTableSnapshot]

    /// The entries of table `name` as a dictionary, or `nil` if there is no such table of
    /// those types.
    public func entries<Key: StreamKey, Value: StateValue>(of name: String, as: [Key: Value].Type = [Key: Value].self) -> [Key: Value]? {
        guard let table = tables[name] as? HeapKeyedStateTableSnapshot<Key, Value> else { return nil }
        var all: [Key: Value] = [:]
        for group in table.groups { for (key, value) in group { all[key.key] = value } }
        return all
    }
}

/// One table of a ``KeyedStateSnapshot``.
public protocol KeyedStateTableSnapshot: Sendable {
    var entryCount: Int { get }
}

struct HeapKeyedStateTableSnapshot<Key: StreamKey, Value: StateValue>: KeyedStateTableSnapshot {
    let firstKeyGroup: Int
    let groups: [[HashedKey<Key>: Value]]

    var entryCount: Int { groups.reduce(0) { $0 + $1.count } }
}
