/// What the coordinator needs of a task's acknowledgement: how long the task spent on the checkpoint.
@usableFromInline protocol CheckpointAcknowledgement: Sendable {
    var timings: CheckpointTaskTimings { get }
}
