/// A single value per key.
public final class ValueState<Value: StateValue> {
    @usableFromInline let cell: KeyScopedCell<Value>
    @inlinable init(cell: KeyScopedCell<Value>) { self.cell = cell }

    /// The current key's value, `nil` if none was set.
    @inlinable public var value: Value? {
        get { cell.get() }
        set { cell.set(newValue) }
    }

    /// Removes the current key's value.
    @inlinable public func clear() { cell.set(nil) }
}

/// A list of values per key.
public final class ListState<Element: StateValue> {
    @usableFromInline let cell: KeyScopedCell<[Element]>
    @inlinable init(cell: KeyScopedCell<[Element]>) { self.cell = cell }

    /// The current key's elements, in the order they were added.
    @inlinable public var elements: [Element] { cell.get() ?? [] }

    /// Appends `element` to the current key's list.
    @inlinable public func add(_ element: Element) {
        cell.modify { list in
            if list == nil { list = [element] } else { list!.append(element) }
        }
    }

    /// Appends `elements` to the current key's list.
    @inlinable public func add(contentsOf elements: some Sequence<Element>) {
        cell.modify { list in list = (list ?? []) + elements }
    }

    /// Replaces the current key's list (an empty list removes it).
    @inlinable public func update(_ elements: [Element]) { cell.set(elements.isEmpty ? nil : elements) }
    /// Removes the current key's value.
    @inlinable public func clear() { cell.set(nil) }
}

/// A map per key.
public final class MapState<MapKey: Hashable & Codable & Sendable, MapValue: StateValue> {
    @usableFromInline let cell: KeyScopedCell<[MapKey: MapValue]>
    @inlinable init(cell: KeyScopedCell<[MapKey: MapValue]>) { self.cell = cell }

    /// The current key's entry for `key`; setting `nil` removes it.
    @inlinable public subscript(key: MapKey) -> MapValue? {
        get { cell.get()?[key] }
        set {
            cell.modify { map in
                if map == nil { map = [:] }
                map![key] = newValue
                if map!.isEmpty { map = nil }
            }
        }
    }

    /// Whether the current key's map has an entry for `key`.
    @inlinable public func contains(_ key: MapKey) -> Bool { cell.get()?[key] != nil }
    /// The current key's whole map.
    @inlinable public var entries: [MapKey: MapValue] { cell.get() ?? [:] }
    /// Whether the current key's map has no entries.
    @inlinable public var isEmpty: Bool { cell.get()?.isEmpty ?? true }
    /// Removes the current key's entry for `key`.
    @inlinable public func removeValue(forKey key: MapKey) { self[key] = nil }
    /// Removes the current key's list.
    @inlinable public func clear() { cell.set(nil) }
}

/// A value per key that every added value is folded into with a reduce function.
public final class ReducingState<Value: StateValue> {
    @usableFromInline let cell: KeyScopedCell<Value>
    @usableFromInline let reduce: @Sendable (Value, Value) throws -> Value
    @inlinable init(cell: KeyScopedCell<Value>, reduce: @escaping @Sendable (Value, Value) throws -> Value) {
        self.cell = cell
        self.reduce = reduce
    }

    /// The current key's reduced value, `nil` if nothing was added.
    @inlinable public var value: Value? { cell.get() }

    /// Reduces `value` into the current key's value (or stores it, if there is none).
    @inlinable public func add(_ value: Value) throws {
        try cell.modify { current in
            current = try current.map { try reduce($0, value) } ?? value
        }
    }

    /// Removes the current key's list.
    @inlinable public func clear() { cell.set(nil) }
}
