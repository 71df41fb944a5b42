/// How records travel from the subtasks of one operator to those of the next.
@usableFromInline enum Partitioning: Sendable, Equatable {
    /// Subtask *i* to subtask *i*; chained into one task when nothing else prevents it.
    /// Becomes ``rebalance`` if the two sides' parallelism differs.
    case forward
    /// Round-robin to all subtasks.
    case rebalance
    /// To the subtask that owns the record's key group.
    case keyGroups
}
