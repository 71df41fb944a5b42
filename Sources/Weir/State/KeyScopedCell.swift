/// The value that one named state holds for the current key. State handles
/// (``ValueState``, ``ListState``, ...) are thin typed views on a cell; the cell's closures are
/// made where the key type is known, so they run specialized code.
@usableFromInline final class KeyScopedCell<Value: StateValue> {
    @usableFromInline let get: () -> Value?
    @usableFromInline let set: (Value?) -> Void
    @usableFromInline let update: ((inout Value?) throws -> Void) throws -> Void

    @inlinable init<Key>(table: KeyedStateTable<Key, Value>, context: KeyContext<Key>) {
        get = { table.get(context.currentKey, at: context.position) }
        set = { table.set($0, for: context.currentKey, at: context.position) }
        update = { body in try table.update(context.currentKey, at: context.position, body) }
    }

    @inlinable func modify(_ body: (inout Value?) throws -> Void) rethrows {
        try withoutActuallyEscaping(body) { body in try update(body) }
    }
}
