import Foundation
import XCTest
@testable import Weir
import WeirReferenceJobs
@testable import WeirS3
import WeirTestSupport

/// Jobs with their checkpoints in a real S3-compatible server (rclone serve s3): restores,
/// rescaling, damaged checkpoints, a fresh start, and fencing a zombie without conditional writes.
final class S3CheckpointStorageTests: XCTestCase {
    private func counts(_ values: [FinalCount.Count]) -> [Int: Int64] {
        CountingJob.counts(values) { key in XCTFail("key \(key) emitted twice") }
    }

    private func storage(_ server: RcloneS3Server, prefix: String = "jobs/counting") -> S3CheckpointStorage {
        S3CheckpointStorage(server.configuration(), prefix: prefix)
    }

    /// Keys under the job's prefix, relative to it.
    private func keys(_ server: RcloneS3Server, prefix: String = "jobs/counting/") throws -> [String] {
        try S3Client(server.configuration()).listObjects(prefix: prefix).map { String($0.key.dropFirst(prefix.count)) }
    }

    func testAFailedJobRestoresFromTheBucketAtAnotherParallelismExactly() throws {
        let server = try RcloneS3Server()
        let workload = ReferenceWorkload(events: 120_000, keys: 500)
        let (failing, _) = CountingJob.make(workload, rate: 100_000, parallelism: 2, injector: FailureInjector([60_000]), storage: storage(server))
        XCTAssertThrowsError(try failing.execute("counting"))
        let afterFailure = try keys(server)
        XCTAssertTrue(afterFailure.contains { $0.hasPrefix("_claims/0000000001-") }, "\(afterFailure)")
        let metadata = afterFailure.filter { $0.hasSuffix("/_metadata") }
        XCTAssertEqual(metadata.count, 2, "two completed checkpoints retained: \(afterFailure)")
        XCTAssertTrue(afterFailure.contains { $0.hasSuffix(".state") })

        let (env, sink) = CountingJob.make(workload, rate: 200_000, parallelism: 3, injector: nil, storage: storage(server))
        env.resume = .latest
        let result = try env.execute("counting")
        XCTAssertNotNil(result.restoredFrom)
        XCTAssertEqual(counts(sink.values), workload.expectedCounts(), "key groups moved from 2 to 3 subtasks through S3 without loss or duplication")
        // The second run's checkpoints continue the ids; retention leaves two in its own folder.
        let final = try keys(server)
        XCTAssertEqual(final.filter { $0.hasSuffix("/_metadata") }.count, 2, "\(final)")
        XCTAssertTrue(final.filter { $0.hasSuffix("/_metadata") }.allSatisfy { $0.hasPrefix("0000000002-") }, "the first run's checkpoints were retired: \(final)")
        XCTAssertEqual(try storage(server).storedCheckpoints().first?.checkpointID, result.checkpoints.last?.checkpointID)
        XCTAssertGreaterThan(result.checkpoints.first!.checkpointID, result.restoredFrom!)
    }

    func testAZombieThatCompletesACheckpointAfterANewerRunClaimedIsNeverRestored() throws {
        let server = try RcloneS3Server()
        let workload = ReferenceWorkload(events: 40_000, keys: 200)
        let zombie = storage(server)
        let (first, _) = CountingJob.make(workload, rate: 100_000, parallelism: 2, injector: FailureInjector([20_000]), storage: zombie)
        XCTAssertThrowsError(try first.execute("counting"))
        let completedByFirst = try XCTUnwrap(try zombie.storedCheckpoints().first { $0.isComplete })

        // A newer run claims (resuming) while the first is paused, not dead.
        let newer = storage(server)
        try newer.claim(resuming: true)
        XCTAssertThrowsError(try zombie.completeCheckpoint(completedByFirst.checkpointID + 1, metadata: [1, 2, 3])) { error in
            guard case CheckpointError.superseded(_, let by) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(by, newer.owner)
        }
        // Worse: the zombie got past its check just before the claim and completes a checkpoint
        // now — a valid one, a copy of its last, under a higher id. No conditional write stops it.
        let zombieKey = zombie.checkpointPrefix(runKey: try zombie.ownClaim().claim.key, checkpointID: completedByFirst.checkpointID + 1)
        let client = S3Client(server.configuration())
        for object in try client.listObjects(prefix: completedByFirst.reference) {
            try client.putObject(zombieKey + object.key.dropFirst(completedByFirst.reference.count), try client.getObject(object.key))
        }
        XCTAssertFalse(try newer.storedCheckpoints().contains { $0.reference == zombieKey }, "the newer run's lineage bounds the first run at what was complete when it claimed")

        // The next run resumes from the first run's last real checkpoint, not the zombie's.
        let warnings = Warnings()
        let (env, sink) = CountingJob.make(workload, rate: 200_000, parallelism: 2, injector: nil, storage: storage(server), warnings: warnings)
        env.resume = .latest
        let result = try env.execute("counting")
        XCTAssertEqual(result.restoredFrom, completedByFirst.checkpointID)
        XCTAssertEqual(counts(sink.values), workload.expectedCounts())
        XCTAssertFalse(try keys(server).contains { $0.hasPrefix(String(zombieKey.dropFirst("jobs/counting/".count))) }, "the zombie's checkpoint was deleted as unusable")
    }

    func testAFreshRunDeletesTheEarlierRunsCheckpointsAndSaysSo() throws {
        let server = try RcloneS3Server()
        let workload = ReferenceWorkload(events: 20_000, keys: 100)
        let (first, _) = CountingJob.make(workload, rate: 100_000, parallelism: 1, injector: nil, storage: storage(server))
        try first.execute("counting")
        XCTAssertFalse(try keys(server).filter { $0.hasSuffix("/_metadata") }.isEmpty)

        let warnings = Warnings()
        let (fresh, sink) = CountingJob.make(workload, rate: 100_000, parallelism: 1, injector: FailureInjector([5_000]), storage: storage(server), warnings: warnings)
        XCTAssertThrowsError(try fresh.execute("counting"))
        XCTAssertTrue(warnings.all.contains { $0.contains("starting fresh: deleting") && $0.contains("s3://checkpoints/jobs/counting") }, "\(warnings.all)")
        let left = try keys(server)
        XCTAssertTrue(left.allSatisfy { !$0.hasPrefix("0000000001-") && !$0.hasPrefix("_claims/0000000001-") }, "\(left)")
        XCTAssertLessThan(sink.values.count, 100)
    }

    func testADamagedLatestCheckpointInTheBucketIsNamedAndTheOlderOneRestored() throws {
        let server = try RcloneS3Server()
        let workload = ReferenceWorkload(events: 100_000, keys: 300)
        let (failing, _) = CountingJob.make(workload, rate: 100_000, parallelism: 2, injector: FailureInjector([40_000]), storage: storage(server))
        XCTAssertThrowsError(try failing.execute("counting"))
        let checkpoints = try storage(server).storedCheckpoints().filter(\.isComplete)
        XCTAssertEqual(checkpoints.count, 2)
        let stateKey = try XCTUnwrap(try S3Client(server.configuration()).listObjects(prefix: checkpoints[0].reference).map(\.key).first { $0.contains("-Count-") })
        var bytes = try DurableFile.read(server.path(ofKey: stateKey))
        bytes[bytes.count / 2] ^= 0x10
        try DurableFile.writeAndSync(bytes, to: server.path(ofKey: stateKey))

        let warnings = Warnings()
        let (env, sink) = CountingJob.make(workload, rate: 200_000, parallelism: 2, injector: nil, storage: storage(server), warnings: warnings)
        env.resume = .latest
        let result = try env.execute("counting")
        XCTAssertEqual(result.restoredFrom, checkpoints[1].checkpointID, "the older checkpoint (the job's sink replaces nothing it committed: a collect sink)")
        let name = String(stateKey.split(separator: "/").last!)
        XCTAssertTrue(warnings.all.contains { $0.contains("checkpoint \(checkpoints[0].checkpointID) is not usable") && $0.contains("s3://checkpoints/") && $0.contains(name) },
                      "\(warnings.all)")
        XCTAssertEqual(counts(sink.values), workload.expectedCounts())
    }

    func testTheInspectorListsTheBucketsCheckpoints() throws {
        let server = try RcloneS3Server()
        let workload = ReferenceWorkload(events: 20_000, keys: 100)
        let (job, _) = CountingJob.make(workload, rate: 100_000, parallelism: 2, injector: nil, storage: storage(server))
        let result = try job.execute("counting")
        let entries = try CheckpointInspector.list(storage(server))
        XCTAssertEqual(entries.map(\.checkpointID), [result.checkpoints.last!.checkpointID, result.checkpoints.last!.checkpointID - 1])
        XCTAssertTrue(entries.allSatisfy { $0.problem == nil && $0.path.hasPrefix("s3://checkpoints/jobs/counting/0000000001-") }, "\(entries.map(\.path))")
        let loaded = try CheckpointInspector.load(try storage(server).storedCheckpoints()[0], in: storage(server))
        XCTAssertTrue(loaded.metadata.isFinal)
        XCTAssertEqual(Set(loaded.states.map(\.subtask)), [0, 1])
    }
}
