/// How a ``KafkaConsumer`` fetches.
public struct ConsumerConfiguration: Sendable {
    /// `.readCommitted` (the default) delivers only records of committed transactions, in
    /// offset order, and a transaction's records only after its commit marker.
    public var isolationLevel: KafkaIsolationLevel = .readCommitted
    /// How long a broker may hold a fetch when it has no new data; also how long a partition
    /// waits before it is fetched again while its next records wait for a transaction marker.
    public var maxWait: Duration = .milliseconds(500)
    /// Bytes asked for per partition per fetch. A poll holds at most this much per partition
    /// (a single batch may be larger: brokers return a first batch whole).
    public var partitionMaxBytes: Int32 = 1 << 20
    /// The most a partition's fetch grows to when a transaction without its marker fills a
    /// whole fetch (the marker is further on). Past it the consumer stops with an error rather
    /// than fetch the same bytes forever.
    public var partitionMaxBytesLimit: Int32 = 32 << 20
    /// How long a read_committed partition waits at a last stable offset that does not move
    /// while the partition goes on past it, before it reads on read_uncommitted and decides by
    /// the transaction markers itself: a stale last stable offset (Tansu 0.6 can keep one for
    /// good) would hold it there for ever. A transaction that is really open (a writer paused
    /// or dead, until its transactional id is initialised again) is held by the consumer then,
    /// up to ``partitionMaxBytesLimit``, after which it waits at the broker's offset again.
    public var staleStableOffsetTimeout: Duration = .seconds(2)
    /// Bytes asked for per fetch request (all partitions of one broker).
    public var fetchMaxBytes: Int32 = 50 << 20
    /// What to do when a partition's position is no longer in the log (retention deleted it). Default: fail.
    public var offsetReset: OffsetResetPolicy = .fail
    /// Consecutive failed fetches from one broker (connection lost, timed out, leader moved)
    /// before the consumer gives up, waiting `retryBackoff`, then twice as long, and so on.
    public var fetchRetries: Int = 5
    /// The wait after the first failed fetch from a broker (doubled after each further one).
    public var retryBackoff: Duration = .milliseconds(200)

    /// The defaults.
    public init() {}
}
