/// An object listed in a bucket.
public struct S3Object: Sendable, Hashable {
    /// Its key.
    public let key: String
    /// Its size in bytes.
    public let size: Int
}
