/// A single value per key.
public final class ValueState<Value: StateValue> {
    let cell: KeyScopedCell<Value>
    init(cell: KeyScopedCell<Value>) { self.cell = cell }

    /// The current key's value, `nil` if none was set.
    public var value: Value? {
        get { cell.get() }
        set { cell.set(newValue) }
    }

    public func clear() { cell.set(nil) }
}

/// A list of values per key.
public final class ListState<Element: StateValue> {
    let cell: KeyScopedCell<[Element]>
    init(cell: KeyScopedCell<[Element]>) { self.cell = cell }

    /// The current key's elements, in the order they were added.
    public var elements: [Element] { cell.get() ?? [] }

    public func add(_ element: Element) {
        cell.modify { list in
            if list == nil { list = [element] } else { list!.append(element) }
        }
    }

    public func add(contentsOf elements: some Sequence<Element>) {
        cell.modify { list in list = (list ?? []) + elements }
    }

    public func update(_ elements: [Element]) { cell.set(elements.isEmpty ? nil : elements) }
    public func clear() { cell.set(nil) }
}

/// A map per key.
public final class MapState<MapKey: Hashable & Codable & Sendable, MapValue: StateValue> {
    let cell: KeyScopedCell<[MapKey: MapValue]>
    init(cell: KeyScopedCell<[MapKey: MapValue]>) { self.cell = cell }

    public subscript(key: MapKey) -> MapValue? {
        get { cell.get()?[key] }
        set {
            cell.modify { map in
                if map == nil { map = [:] }
                map![key] = newValue
                if map!.isEmpty { map = nil }
            }
        }
    }

    public func contains(_ key: MapKey) -> Bool { cell.get()?[key] != nil }
    /// The current key's whole map.
    public var entries: [MapKey: MapValue] { cell.get() ?? [:] }
    public var isEmpty: Bool { cell.get()?.isEmpty ?? true }
    public func removeValue(forKey key: MapKey) { self[key] = nil }
    public func clear() { cell.set(nil) }
}

/// A value per key that every added value is folded into with a reduce function.
public final class ReducingState<Value: StateValue> {
    let cell: KeyScopedCell<Value>
    let reduce: @Sendable (Value, Value) throws -> Value
    init(cell: KeyScopedCell<Value>, reduce: @escaping @Sendable (Value, Value) throws -> Value) {
        self.cell = cell
        self.reduce = reduce
    }

    /// The current key's reduced value, `nil` if nothing was added.
    public var value: Value? { cell.get() }

    public func add(_ value: Value) throws {
        try cell.modify { current in
            current = try current.map { try reduce($0, value) } ?? value
        }
    }

    public func clear() { cell.set(nil) }
}
