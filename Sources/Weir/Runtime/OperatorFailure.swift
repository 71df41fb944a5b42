/// Which operator instance something happened in.
public struct OperatorLocation: Sendable, Hashable, CustomStringConvertible {
    /// The operator's name in the job.
    public var operatorName: String
    /// The subtask's index, from 0.
    public var subtask: Int
    /// How many subtasks the operator ran as.
    public var parallelism: Int

    /// Subtask `subtask` of `parallelism` of the operator named `operatorName` (a state
    /// backend's tests open stores for one).
    public init(operatorName: String, subtask: Int, parallelism: Int) {
        self.operatorName = operatorName
        self.subtask = subtask
        self.parallelism = parallelism
    }

    /// The operator and the subtask, counted from 1 (`'WindowSum' (subtask 2/4)`).
    public var description: String { "'\(operatorName)' (subtask \(subtask + 1)/\(parallelism))" }

    /// Wraps `error` unless it already names an operator or only reports cancellation.
    @usableFromInline func attribute(_ error: any Error) -> any Error {
        if error is OperatorFailure || error is TaskCancelled { return error }
        return OperatorFailure(location: self, underlying: error)
    }
}

/// An error raised by an operator or user function, with the operator and subtask it came from.
public struct OperatorFailure: Error, CustomStringConvertible {
    /// Which subtask failed.
    public var location: OperatorLocation
    /// What the operator or user function threw.
    public var underlying: any Error

    /// The subtask and the error it threw.
    public var description: String { "operator \(location) failed: \(underlying)" }
}
