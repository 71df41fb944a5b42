import Foundation
import XCTest
import WeirTestSupport

/// `weir run` and `weir checkpoints` with the checkpoints in a bucket of a real S3-compatible
/// server (rclone serve s3).
final class WeirS3CommandTests: XCTestCase {
    private var data = ""

    override func setUp() {
        data = FileManager.default.temporaryDirectory.appendingPathComponent("weir-cli-s3-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    /// Checkpoints and output in the bucket: `--checkpoint-dir s3://… --sink s3 --output s3://…`.
    func testKilledRunsResumeFromTheBucketAndVerifyExactlyOnce() throws {
        let server = try RcloneS3Server(bucket: "state")
        defer { server.stop() }
        let location = ["--checkpoint-dir", "s3://state/jobs/reference", "--sink", "s3", "--output", "s3://state/out/reference",
                        "--s3-endpoint", server.endpoint.absoluteString]
        var harness = CrashHarness(executable: CrashHarness.executable(named: "weir"),
                                   arguments: ["run", "--data-dir", data, "--events", "300000", "--keys", "1000", "--rate", "120000",
                                               "--checkpoint-interval", "100", "--parallelism", "2"] + location)
        harness.environment = server.credentialsEnvironment
        harness.randomKills = 4
        harness.killDelayMilliseconds = 300...700
        harness.killsCountFromFirstCheckpointIn = server.path(ofKey: "jobs/reference")
        let outcome = try harness.run()
        XCTAssertEqual(outcome.kills, 4)
        let verify = try WeirCommandRun(["verify", "--data-dir", data], environment: server.credentialsEnvironment)
        XCTAssertTrue(verify.output.contains("exactly-once: OK (3000 rows)"), verify.output)
        let objects = try FileManager.default.contentsOfDirectory(atPath: server.path(ofKey: "out/reference")).filter { !$0.hasPrefix(".") }
        XCTAssertTrue(!objects.isEmpty && objects.allSatisfy { $0.hasPrefix("window-sums-") && $0.hasSuffix(".csv") }, "\(objects)")

        let list = try WeirCommandRun(["checkpoints", "list", "s3://state/jobs/reference", "--s3-endpoint", server.endpoint.absoluteString],
                                      environment: server.credentialsEnvironment)
        XCTAssertEqual(list.status, 0, list.output)
        XCTAssertTrue(list.output.contains("final  checksums OK"), list.output)
        let show = try WeirCommandRun(["checkpoints", "show", "s3://state/jobs/reference", "--s3-endpoint", server.endpoint.absoluteString],
                                      environment: server.credentialsEnvironment)
        XCTAssertTrue(show.output.contains("checksums: OK") && show.output.contains("operator 3-S3 ×2"), show.output)
    }

    func testMissingCredentialsAndAnotherPlaceOnResumeAreRefusedWithWhatToDo() throws {
        let server = try RcloneS3Server(bucket: "state")
        defer { server.stop() }
        let run = ["run", "--data-dir", data, "--events", "20000", "--keys", "10", "--parallelism", "1",
                   "--checkpoint-dir", "s3://state/jobs/small", "--s3-endpoint", server.endpoint.absoluteString]
        let noCredentials = try WeirCommandRun(run, environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""])
        XCTAssertNotEqual(noCredentials.status, 0)
        XCTAssertTrue(noCredentials.output.contains("s3://state/jobs/small needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), noCredentials.output)

        try? FileManager.default.removeItem(atPath: data)
        let wrongSecret = try WeirCommandRun(run, environment: ["AWS_ACCESS_KEY_ID": RcloneS3Server.accessKeyID, "AWS_SECRET_ACCESS_KEY": "wrong"])
        XCTAssertNotEqual(wrongSecret.status, 0)
        XCTAssertTrue(wrongSecret.output.contains("s3://state/jobs/small/_claims/") && wrongSecret.output.contains("HTTP 403"), wrongSecret.output)

        try? FileManager.default.removeItem(atPath: data)
        XCTAssertEqual(try WeirCommandRun(run, environment: server.credentialsEnvironment).status, 0)
        let elsewhere = try WeirCommandRun(["run", "--data-dir", data, "--resume", "--checkpoint-dir", "/tmp/elsewhere"], environment: server.credentialsEnvironment)
        XCTAssertNotEqual(elsewhere.status, 0)
        XCTAssertTrue(elsewhere.output.contains("this run's checkpoints are in s3://state/jobs/small (run.json)"), elsewhere.output)
        let resumed = try WeirCommandRun(["run", "--data-dir", data, "--resume"], environment: server.credentialsEnvironment)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.output.contains("checkpoints in s3://state/jobs/small"), resumed.output)
    }
}
