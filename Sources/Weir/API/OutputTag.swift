/// Names a side output of an operator, such as the late records of a window.
public struct OutputTag<Value: Sendable>: Sendable, Hashable {
    /// The side output's name; tags with the same name and value type are the same output.
    public let id: String

    /// A tag for the side output named `id`.
    @inlinable public init(_ id: String) { self.id = id }
}
