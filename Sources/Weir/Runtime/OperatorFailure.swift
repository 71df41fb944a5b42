/// Which operator instance something happened in.
public struct OperatorLocation: Sendable, Hashable, CustomStringConvertible {
    public var operatorName: String
    public var subtask: Int
    public var parallelism: Int

    public var description: String { "'\(operatorName)' (subtask \(subtask + 1)/\(parallelism))" }

    /// Wraps `error` unless it already names an operator or only reports cancellation.
    @usableFromInline func attribute(_ error: any Error) -> any Error {
        if error is OperatorFailure || error is TaskCancelled { return error }
        return OperatorFailure(location: self, underlying: error)
    }
}

/// An error raised by an operator or user function, with the operator and subtask it came from.
public struct OperatorFailure: Error, CustomStringConvertible {
    public var location: OperatorLocation
    /// What the operator or user function threw.
    public var underlying: any Error

    public var description: String { "operator \(location) failed: \(underlying)" }
}
