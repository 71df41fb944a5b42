import NIOCore
import NIOPosix

/// Settings shared by the connections of a client.
public struct KafkaClientConfiguration: Sendable {
    /// Sent in every request header; brokers log it and quotas use it.
    public var clientID: String = "weir"
    /// How long one connection attempt may take.
    public var connectTimeout: Duration = .seconds(10)
    /// How long a request waits for its response before the connection is given up. Fetches
    /// that wait on the broker (`maxWait`) get this on top of their wait.
    public var requestTimeout: Duration = .seconds(30)
    /// The largest response accepted; bigger ones close the connection (no unbounded buffers).
    public var maxResponseSize: Int = 64 << 20
    /// Connection attempts per broker before giving up, waiting `connectBackoff`, then twice
    /// as long, and so on between them.
    public var connectAttempts: Int = 5
    /// The wait after the first failed connection attempt (doubled after each further one).
    public var connectBackoff: Duration = .milliseconds(100)
    /// How often a request is retried after its partition's leader moved.
    public var leaderRetries: Int = 5
    /// The SwiftNIO event loops the connections run on. Default: NIO's shared group.
    public var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    /// The defaults.
    public init() {}
}
