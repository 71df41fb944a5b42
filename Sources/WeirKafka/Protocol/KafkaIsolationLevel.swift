/// Which records a read sees of a partition that transactions write to.
///
/// Weir's exactly-once pipelines read `readCommitted`: a consumer then sees only what committed
/// transactions wrote, up to the partition's last stable offset (the first offset of a
/// transaction still open), and never the records of aborted ones.
public enum KafkaIsolationLevel: Int8, Sendable, Hashable {
    /// Everything up to the high watermark, open and aborted transactions included.
    case readUncommitted = 0
    /// Up to the last stable offset; the client filters aborted transactions.
    case readCommitted = 1
}
