import Foundation

/// Where a bucket is and how to talk to it.
public struct S3Configuration: Sendable, Hashable {
    /// The server: `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`.
    public var endpoint: URL
    /// The bucket (must exist).
    public var bucket: String
    /// The region in the signature's scope. Default `us-east-1`, which S3-compatible servers accept.
    public var region: String = "us-east-1"
    /// The key pair.
    public var credentials: S3Credentials
    /// Path-style addressing (`endpoint/bucket/key`), which every S3-compatible server
    /// understands; `false` for virtual-hosted style (`bucket.endpoint/key`). Default `true`.
    public var pathStyle: Bool = true
    /// Objects larger than this are uploaded in parts of this size (S3's minimum part is
    /// 5 MiB). Default 8 MiB.
    public var multipartPartSize: Int = 8 << 20
    /// Time a single request may take, connecting included (async-http-client retries a
    /// refused connection within it). Default 30 s.
    public var requestTimeout: Duration = .seconds(30)
    /// Attempts of a request that fails with no response, a 5xx or a 429 (throttling),
    /// with a backoff of `retryBaseDelay` × 2ⁿ (jittered) in between. Default 5.
    public var maxAttempts: Int = 5
    /// The first delay between attempts. Default 100 ms.
    public var retryBaseDelay: Duration = .milliseconds(100)

    /// A bucket at `endpoint`, signed with `credentials`.
    public init(endpoint: URL, bucket: String, credentials: S3Credentials) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.credentials = credentials
    }
}
