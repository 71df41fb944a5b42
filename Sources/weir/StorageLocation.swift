import ArgumentParser
import Foundation
import Weir
#if S3
import WeirS3
#endif

/// Where a run keeps its checkpoints (or, for `--sink s3`, its output): a directory, or
/// `s3://bucket/prefix` on an S3-compatible server (with the `S3` trait). Kept in run.json, so
/// that `--resume` and `weir verify` find them again.
struct StorageLocation: Codable, Equatable {
    /// A directory or `s3://bucket/prefix`.
    var location: String
    /// For S3: the server (`--s3-endpoint`).
    var s3Endpoint: String?
    /// For S3: the signature's region (`--s3-region`).
    var s3Region: String?

    var isS3: Bool { location.hasPrefix("s3://") }

    #if S3
    static let s3IsBuiltIn = true
    #else
    static let s3IsBuiltIn = false
    #endif

    static let s3Missing = ValidationError("this weir was built without S3 support: build it with --traits S3 (swift build --traits S3)")

    /// `s3://bucket/prefix` as bucket and prefix.
    static func parseS3(_ location: String) throws -> (bucket: String, prefix: String) {
        let rest = location.dropFirst("s3://".count)
        let bucket = rest.prefix { $0 != "/" }
        guard !bucket.isEmpty else { throw ValidationError("'\(location)' names no bucket: s3://bucket/prefix") }
        return (String(bucket), String(rest.dropFirst(bucket.count).drop { $0 == "/" }))
    }

    /// The checkpoint storage here.
    func checkpointStorage() throws -> any CheckpointStorage {
        guard isS3 else { return FileCheckpointStorage(directory: location) }
        #if S3
        let (configuration, prefix) = try s3Configuration()
        return S3CheckpointStorage(configuration, prefix: prefix)
        #else
        throw Self.s3Missing
        #endif
    }

    #if S3
    /// The bucket and the key prefix. S3 credentials come from AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), never from the command line, where `ps`
    /// would show them.
    func s3Configuration() throws -> (S3Configuration, prefix: String) {
        let (bucket, prefix) = try Self.parseS3(location)
        guard let credentials = S3Credentials.fromEnvironment() else {
            throw ValidationError("\(location) needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
        }
        let region = s3Region ?? "us-east-1"
        let endpoint = s3Endpoint ?? "https://s3.\(region).amazonaws.com"
        guard let url = URL(string: endpoint), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("--s3-endpoint \(endpoint) is not an http:// or https:// URL")
        }
        var configuration = S3Configuration(endpoint: url, bucket: bucket, credentials: credentials)
        configuration.region = region
        return (configuration, prefix)
    }
    #endif
}

/// `--s3-endpoint` and `--s3-region`, for checkpoints or output in `s3://bucket/prefix`.
struct S3Options: ParsableArguments {
    @Option(help: "For checkpoints or output in s3://bucket/prefix: the S3-compatible server (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, or AWS in --s3-region). Credentials: $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY.")
    var s3Endpoint: String?

    @Option(help: "For checkpoints in S3: the region of the request signature (default: $AWS_REGION, or us-east-1).")
    var s3Region: String?

    /// `location` with these options, or the environment's.
    func location(_ location: String) -> StorageLocation {
        guard location.hasPrefix("s3://") else { return StorageLocation(location: location) }
        let environment = ProcessInfo.processInfo.environment
        let endpoint = s3Endpoint ?? environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"]
        return StorageLocation(location: location, s3Endpoint: endpoint, s3Region: s3Region ?? environment["AWS_REGION"])
    }
}
