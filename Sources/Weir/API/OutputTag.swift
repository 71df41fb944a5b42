/// Names a side output of an operator, such as the late records of a window.
public struct OutputTag<Value: Sendable>: Sendable, Hashable {
    public let id: String

    @inlinable public init(_ id: String) { self.id = id }
}
