/// A request to the object store that failed, with what a user needs to act on it.
public struct S3Error: Error, CustomStringConvertible, Sendable {
    /// The operation: `PutObject`, `GetObject`, `ListObjectsV2`, `UploadPart`, ….
    public let operation: String
    /// The bucket.
    public let bucket: String
    /// The object key or prefix, if the operation has one.
    public let key: String?
    /// The HTTP status, or `nil` if no response came (connection refused, timeout).
    public let status: Int?
    /// S3's error code (`NoSuchKey`, `AccessDenied`, `SignatureDoesNotMatch`, …) or the
    /// connection error.
    public let code: String
    /// S3's message, if it sent one.
    public let message: String
    /// Attempts made, retries included.
    public let attempts: Int

    /// Whether the object does not exist (`404`), which callers may expect.
    public var isNotFound: Bool { status == 404 }

    /// "PutObject s3://bucket/key failed: 403 AccessDenied (message) after 1 attempt".
    public var description: String {
        let what = "s3://\(bucket)/\(key ?? "")"
        let status = self.status.map { "HTTP \($0) " } ?? ""
        let hint: String
        switch code {
        case "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied":
            hint = " — check the access key and secret (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and the region"
        case "NoSuchBucket":
            hint = " — create the bucket first"
        default:
            hint = ""
        }
        return "\(operation) \(what) failed: \(status)\(code)\(message.isEmpty ? "" : " (\(message))") after \(attempts) attempt\(attempts == 1 ? "" : "s")\(hint)"
    }
}
