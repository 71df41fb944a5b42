/// The key that a keyed operator is processing right now: set before a user function is called,
/// read by every state handle so that state is always scoped to the current key.
final class KeyContext<Key: StreamKey> {
    private(set) var key: Key?
    private(set) var position = KeyPosition(hash: 0, keyGroup: -1)
    let maxParallelism: Int

    init(maxParallelism: Int) { self.maxParallelism = maxParallelism }

    @inline(__always)
    func set(_ key: Key) {
        self.key = key
        self.position = KeyPosition(of: key, maxParallelism: maxParallelism)
    }

    var currentKey: Key {
        guard let key else { preconditionFailure("keyed state was used outside of a keyed context (no current key)") }
        return key
    }
}
