/// The end of a task that takes part in checkpoints, as a state machine: the task may end its
/// output only when its input has ended *and* it heard that the final checkpoint completed (so
/// that every sink committed everything before the job ends). The two events may come in
/// either order — a source's input ends first and it then waits, taking part in checkpoints; a
/// downstream task usually hears of the completion first, since its sources end their output
/// only after it — and the task waits for whichever is missing instead of relying on the
/// order in which the coordinator posts its notifications.
///
/// Without checkpoints there is no final checkpoint: the end of input is the end of the task.
@usableFromInline enum EndOfTask: Sendable, Equatable {
    /// Input flows; the final checkpoint has not completed.
    case running
    /// The final checkpoint completed; the input has not ended yet.
    case finalCheckpointCompleted
    /// The input ended; waiting for the final checkpoint's completion.
    case awaitingFinalCheckpoint
    /// Both happened: the task ends its output.
    case ended

    @usableFromInline init(checkpointing: Bool) { self = checkpointing ? .running : .finalCheckpointCompleted }

    /// The coordinator said the final checkpoint completed.
    @inlinable mutating func finalCheckpointDidComplete() {
        switch self {
        case .running: self = .finalCheckpointCompleted
        case .awaitingFinalCheckpoint: self = .ended
        case .finalCheckpointCompleted, .ended: break
        }
    }

    /// The task's input ended (every channel, or the source's reader).
    @inlinable mutating func inputDidEnd() {
        switch self {
        case .running: self = .awaitingFinalCheckpoint
        case .finalCheckpointCompleted: self = .ended
        case .awaitingFinalCheckpoint, .ended: break
        }
    }

    @inlinable var mayEndOutput: Bool { self == .ended }
}
