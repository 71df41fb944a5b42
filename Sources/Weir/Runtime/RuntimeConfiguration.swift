/// Tuning of the local runtime. The defaults suit most jobs.
public struct RuntimeConfiguration: Sendable, Hashable {
    /// Records per batch handed between tasks. Larger batches cost less per record and add
    /// latency only when a source is slow (a task flushes before it waits). Default 1,024.
    public var batchSize: Int = 1_024
    /// Batches a channel holds before its sender waits (backpressure). Default 8.
    public var channelCapacity: Int = 8
    /// How often a task tells its operators that processing time advanced (idleness detection,
    /// periodic watermarks, processing-time timers). Default 50 ms.
    public var processingTimeTick: Duration = .milliseconds(50)

    /// The defaults.
    public init() {}
}
