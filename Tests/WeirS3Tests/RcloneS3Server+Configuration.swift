import WeirS3
import WeirTestSupport

extension RcloneS3Server {
    /// The bucket, with the server's key pair and retries kept short for tests.
    func configuration(secret: String = RcloneS3Server.secretAccessKey, bucket: String? = nil) -> S3Configuration {
        var configuration = S3Configuration(endpoint: endpoint, bucket: bucket ?? self.bucket,
                                            credentials: S3Credentials(accessKeyID: Self.accessKeyID, secretAccessKey: secret))
        configuration.retryBaseDelay = .milliseconds(20)
        return configuration
    }
}
