/// The key that a keyed operator is processing right now: set before a user function is called,
/// read by every state handle so that state is always scoped to the current key.
@usableFromInline final class KeyContext<Key: StreamKey> {
    @usableFromInline var key: Key?
    @usableFromInline var position = KeyPosition(hash: 0, keyGroup: -1)
    @usableFromInline let maxParallelism: Int

    @inlinable init(maxParallelism: Int) { self.maxParallelism = maxParallelism }

    @inline(__always)
    @inlinable func set(_ key: Key) {
        self.key = key
        self.position = KeyPosition(of: key, maxParallelism: maxParallelism)
    }

    @inlinable var currentKey: Key {
        guard let key else { preconditionFailure("keyed state was used outside of a keyed context (no current key)") }
        return key
    }
}
