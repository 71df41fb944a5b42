/// A snapshot failure after which the operator cannot go on: the checkpoint is declined *and*
/// the task fails (so the job restarts from its last checkpoint, if its restart strategy
/// allows). Other snapshot errors only decline the checkpoint.
///
/// A two-phase-commit sink whose pre-commit failed throws it: the transaction's state in the
/// external system is unknown, and the records in it must be replayed, not committed later.
@usableFromInline struct TaskFailingSnapshotError: Error, CustomStringConvertible {
    @usableFromInline init(underlying: any Error) { self.underlying = underlying }
    @usableFromInline var underlying: any Error
    @usableFromInline var description: String { "\(underlying)" }
}
