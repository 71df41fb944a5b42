/// Declares a ``ValueState``: its name (unique within the operator) and type.
public struct ValueStateDescriptor<Value: StateValue>: Sendable {
    /// The state's name, unique within the operator (it names the state in checkpoints).
    public let name: String
    /// A value state named `name`.
    @inlinable public init(_ name: String, of type: Value.Type = Value.self) { self.name = name }
}

/// Declares a ``ListState``.
public struct ListStateDescriptor<Element: StateValue>: Sendable {
    /// The state's name, unique within the operator (it names the state in checkpoints).
    public let name: String
    /// A list state named `name`.
    @inlinable public init(_ name: String, of type: Element.Type = Element.self) { self.name = name }
}

/// Declares a ``MapState``.
public struct MapStateDescriptor<MapKey: Hashable & Codable & Sendable, MapValue: StateValue>: Sendable {
    /// The state's name, unique within the operator (it names the state in checkpoints).
    public let name: String
    /// A map state named `name`.
    @inlinable public init(_ name: String, key: MapKey.Type = MapKey.self, value: MapValue.Type = MapValue.self) { self.name = name }
}

/// Declares a ``ReducingState`` with the function that folds values together.
public struct ReducingStateDescriptor<Value: StateValue>: Sendable {
    /// The state's name, unique within the operator (it names the state in checkpoints).
    public let name: String
    /// Folds a new value into the stored one.
    public let reduce: @Sendable (Value, Value) throws -> Value
    /// A reducing state named `name` that folds values with `reduce`.
    @inlinable public init(_ name: String, reduce: @escaping @Sendable (Value, Value) throws -> Value) {
        self.name = name
        self.reduce = reduce
    }
}
