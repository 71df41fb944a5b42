import Foundation
import XCTest
@testable import WeirS3
import WeirTestSupport

/// The client against a real S3-compatible server (rclone serve s3), which checks every
/// request's signature.
final class S3ClientTests: XCTestCase {
    func testObjectsArePutReadListedAndDeleted() throws {
        let server = try RcloneS3Server()
        let client = S3Client(server.configuration())
        try client.putObject("jobs/a/one", Array("first".utf8))
        try client.putObject("jobs/a/two", [])
        try client.putObject("jobs/b/three", Array(repeating: 7, count: 100_000))
        XCTAssertEqual(try client.getObject("jobs/a/one"), Array("first".utf8))
        XCTAssertEqual(try client.getObject("jobs/a/two"), [])
        XCTAssertEqual(try client.listObjects(prefix: "jobs/a/").map(\.key), ["jobs/a/one", "jobs/a/two"])
        XCTAssertEqual(try client.listObjects(prefix: "jobs/").map(\.size), [5, 0, 100_000])
        XCTAssertTrue(try client.objectExists("jobs/b/three"))
        try client.deleteObject("jobs/b/three")
        try client.deleteObject("jobs/b/three")
        XCTAssertFalse(try client.objectExists("jobs/b/three"))
        XCTAssertThrowsError(try client.getObject("jobs/b/three")) { error in
            let s3 = error as? S3Error
            XCTAssertEqual(s3?.status, 404)
            XCTAssertTrue("\(error)".contains("GetObject s3://checkpoints/jobs/b/three failed: HTTP 404"), "\(error)")
            XCTAssertEqual(s3?.attempts, 1, "a 404 is not retried")
        }
    }

    func testListingFollowsContinuationTokensPastOnePage() throws {
        let server = try RcloneS3Server()
        let client = S3Client(server.configuration())
        // rclone returns at most 1,000 keys a page.
        let keys = (0..<1_005).map { "many/" + String(format: "%05d", $0) }
        for key in keys { try client.putObject(key, [1]) }
        XCTAssertEqual(try client.listObjects(prefix: "many/").map(\.key), keys)
    }

    func testALargeObjectIsUploadedInPartsAndReadBackWhole() throws {
        let server = try RcloneS3Server()
        var configuration = server.configuration()
        configuration.multipartPartSize = 5 << 20
        let client = S3Client(configuration)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(12 << 20) + 123).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try client.putObject("big/state", bytes)
        XCTAssertEqual(try client.getObject("big/state"), bytes, "three parts (5 + 5 + 2 MiB) in order")
        XCTAssertEqual(try client.listObjects(prefix: "big/").map(\.key), ["big/state"], "no part objects are left visible")
    }

    func testAnAbortedUploadLeavesNoObject() throws {
        let server = try RcloneS3Server()
        let client = S3Client(server.configuration())
        let upload = try client.createMultipartUpload("pending/file")
        _ = try client.uploadPart("pending/file", uploadID: upload, number: 1, ArraySlice(Array(repeating: 1, count: 5 << 20)))
        XCTAssertFalse(try client.objectExists("pending/file"), "invisible until completed")
        try client.abortMultipartUpload("pending/file", uploadID: upload)
        XCTAssertFalse(try client.objectExists("pending/file"))
    }

    func testAWrongSecretIsRefusedWithAHint() throws {
        let server = try RcloneS3Server()
        let client = S3Client(server.configuration(secret: "not-the-secret"))
        XCTAssertThrowsError(try client.putObject("x", [1])) { error in
            let s3 = error as? S3Error
            XCTAssertEqual(s3?.status, 403, "\(error)")
            XCTAssertTrue("\(error)".contains("PutObject s3://checkpoints/x failed"), "\(error)")
            XCTAssertTrue("\(error)".contains("check the access key and secret"), "\(error)")
        }
    }

    func testAMissingBucketIsNamed() throws {
        let server = try RcloneS3Server()
        let client = S3Client(server.configuration(bucket: "no-such-bucket"))
        XCTAssertThrowsError(try client.putObject("x", [1])) { error in
            XCTAssertTrue("\(error)".contains("s3://no-such-bucket/x"), "\(error)")
        }
    }

    func testNoServerIsRetriedThenReportedWithTheAttempts() throws {
        let server = try RcloneS3Server()
        var configuration = server.configuration()
        server.stop()
        configuration.maxAttempts = 3
        // async-http-client retries connecting until the request's deadline.
        configuration.requestTimeout = .seconds(1)
        let client = S3Client(configuration)
        XCTAssertThrowsError(try client.getObject("x")) { error in
            let s3 = error as? S3Error
            XCTAssertNil(s3?.status)
            XCTAssertEqual(s3?.attempts, 3, "\(error)")
            XCTAssertTrue("\(error)".contains("no response from http://127.0.0.1:\(server.port)"), "\(error)")
        }
    }
}
