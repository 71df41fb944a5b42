/// What a keyed user function gets in `open`: the subtask it runs as and the means to declare
/// keyed state. State handles read and write the value of the key being processed.
public final class KeyedRuntimeContext<Key: StreamKey> {
    @usableFromInline let store: any KeyedStateStore
    @usableFromInline let keyContext: KeyContext<Key>
    /// Index of this parallel subtask, from 0.
    public let subtask: Int
    /// How many subtasks the operator runs as.
    public let parallelism: Int

    @inlinable init(store: any KeyedStateStore, keyContext: KeyContext<Key>, subtask: Int, parallelism: Int) {
        self.store = store
        self.keyContext = keyContext
        self.subtask = subtask
        self.parallelism = parallelism
    }

    @inlinable func cell<Value: StateValue>(_ name: String, _ type: Value.Type) throws -> KeyScopedCell<Value> {
        KeyScopedCell(table: try store.table(named: name, key: Key.self, value: Value.self), context: keyContext)
    }

    /// The value state named by `descriptor`, scoped to the key of the record being processed.
    @inlinable public func state<Value>(_ descriptor: ValueStateDescriptor<Value>) throws -> ValueState<Value> {
        ValueState(cell: try cell(descriptor.name, Value.self))
    }

    /// The list state named by `descriptor`, scoped to the current key.
    @inlinable public func state<Element>(_ descriptor: ListStateDescriptor<Element>) throws -> ListState<Element> {
        ListState(cell: try cell(descriptor.name, [Element].self))
    }

    /// The map state named by `descriptor`, scoped to the current key.
    @inlinable public func state<MapKey, MapValue>(_ descriptor: MapStateDescriptor<MapKey, MapValue>) throws -> MapState<MapKey, MapValue> {
        MapState(cell: try cell(descriptor.name, [MapKey: MapValue].self))
    }

    /// The reducing state named by `descriptor`, scoped to the current key.
    @inlinable public func state<Value>(_ descriptor: ReducingStateDescriptor<Value>) throws -> ReducingState<Value> {
        ReducingState(cell: try cell(descriptor.name, Value.self), reduce: descriptor.reduce)
    }
}
