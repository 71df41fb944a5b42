import Foundation
import XCTest
import Weir
@testable import WeirS3
import WeirTestSupport

/// The exactly-once S3 file sink against a real S3-compatible server (rclone serve s3). The
/// output is read back from the server's own directory — not through WeirS3 — and checked
/// against the generator's indexes: every one exactly once.
final class S3FileSinkTests: XCTestCase {
    /// generator (index i) → rebalance → (failure injection) → S3 file sink, lines "i".
    private func job(_ server: RcloneS3Server, events: Int64, rate: Double?, parallelism: Int, injector: FailureInjector?,
                     partSize: Int = 5 << 20, interval: Duration = .milliseconds(50), retained: Int = 2) -> StreamEnvironment {
        let env = StreamEnvironment(parallelism: parallelism)
        var checkpointing = CheckpointConfiguration(storage: FileCheckpointStorage(directory: server.root + "/checkpoints"), interval: interval)
        checkpointing.retainedCheckpoints = retained
        env.checkpointing = checkpointing
        env.restartStrategy = .fixedDelay(attempts: 10, delay: .zero)
        var configuration = server.configuration()
        configuration.multipartPartSize = partSize
        var sink = S3FileSink<Int64>(configuration: configuration, prefix: "output/indexes", encoder: .lines { String($0) })
        sink.namePrefix = "indexes"
        sink.suffix = ".csv"
        env.addSource(GeneratorSource(count: events, ratePerSecond: rate) { StreamRecord($0, timestamp: $0) }, name: "Generator")
            .rebalance()
            .map(name: "Inject") { index in
                try injector?.check()
                return index
            }
            .sink(sink, name: "S3")
        return env
    }

    /// Every visible object's lines, from the files rclone stores the bucket in.
    private func committedLines(_ server: RcloneS3Server) throws -> (lines: [Int64], objects: [String]) {
        let directory = server.path(ofKey: "output/indexes")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        var lines: [Int64] = []
        for name in names {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let value = Int64(line) else { XCTFail("\(name): unexpected line '\(line)'"); continue }
                lines.append(value)
            }
        }
        return (lines, names)
    }

    private func assertExactlyOnce(_ lines: [Int64], events: Int64, file: StaticString = #filePath, line: UInt = #line) {
        var seen = [UInt8](repeating: 0, count: Int(events))
        var outOfRange = 0
        for value in lines { if value >= 0 && value < events { seen[Int(value)] &+= 1 } else { outOfRange += 1 } }
        XCTAssertEqual(seen.filter { $0 == 0 }.count, 0, "lost", file: file, line: line)
        XCTAssertEqual(seen.filter { $0 > 1 }.count, 0, "duplicated", file: file, line: line)
        XCTAssertEqual(outOfRange, 0, file: file, line: line)
    }

    func testTaskFailuresRestartAndEveryRowIsInTheBucketExactlyOnce() throws {
        let server = try RcloneS3Server()
        let events: Int64 = 200_000
        let injector = FailureInjector([30_000, 25_000, 40_000])
        let result = try job(server, events: events, rate: 200_000, parallelism: 2, injector: injector).execute("indexes")
        XCTAssertEqual(injector.failures, 3)
        XCTAssertEqual(result.restarts, 3)
        let (lines, objects) = try committedLines(server)
        assertExactlyOnce(lines, events: events)
        XCTAssertGreaterThan(objects.count, 4, "an object per subtask and checkpoint: \(objects)")
        XCTAssertTrue(objects.allSatisfy { $0.hasPrefix("indexes-") && $0.hasSuffix(".csv") }, "\(objects)")
    }

    func testAnObjectLargerThanAPartIsUploadedInPartsAndAppearsWholeAtTheCheckpoint() throws {
        let server = try RcloneS3Server()
        let events: Int64 = 1_500_000 // ~10 MiB of lines: a 5 MiB part, then the rest at the barrier
        let result = try job(server, events: events, rate: nil, parallelism: 1, injector: nil, interval: .seconds(60)).execute("indexes")
        XCTAssertEqual(result.checkpoints.count, 1, "only the final checkpoint")
        let (lines, objects) = try committedLines(server)
        XCTAssertEqual(objects.count, 1, "\(objects)")
        XCTAssertEqual(lines, Array(0..<events), "in order, whole")
    }

    func testARestoreOfAnOlderCheckpointDeletesWhatLaterOnesCommitted() throws {
        let server = try RcloneS3Server()
        let events: Int64 = 100_000
        let failing = job(server, events: events, rate: 100_000, parallelism: 2, injector: FailureInjector([60_000]), retained: 3)
        failing.restartStrategy = .none
        XCTAssertThrowsError(try failing.execute("indexes"))
        // Damage every checkpoint from the newest one whose objects were committed on (the
        // newest may have completed without its commit, when the job failed in between): the
        // restore takes an older one, and the bucket holds what later ones committed.
        let committedIDs = try committedLines(server).objects.compactMap { name in Int64(name.split(separator: "-")[2]) }
        let newestCommitted = try XCTUnwrap(committedIDs.max())
        let storage = FileCheckpointStorage(directory: server.root + "/checkpoints")
        let complete = try storage.storedCheckpoints().filter(\.isComplete)
        for checkpoint in complete where checkpoint.checkpointID >= newestCommitted {
            let metadata = checkpoint.reference + "/_metadata"
            var bytes = try DurableFile.read(metadata)
            bytes[bytes.count / 2] ^= 0x20
            try DurableFile.writeAndSync(bytes, to: metadata)
        }
        let older = try XCTUnwrap(complete.first { $0.checkpointID < newestCommitted }, "three retained: one is older")

        // At parallelism 1: subtask 1's objects of the later checkpoint are not overwritten by
        // name, so only their deletion keeps the output exact.
        let resumed = job(server, events: events, rate: 200_000, parallelism: 1, injector: nil)
        let warnings = Warnings()
        resumed.warningHandler = { warnings.add($0) }
        resumed.resume = .latest
        let result = try resumed.execute("indexes")
        XCTAssertEqual(result.restoredFrom, older.checkpointID)
        XCTAssertTrue(warnings.all.contains { $0.contains("every sink of the job replaces replayed results") }, "\(warnings.all)")
        assertExactlyOnce(try committedLines(server).lines, events: events)
    }

    func testACommitOfAnUploadThatIsGoneNamesTheLostTransaction() throws {
        let server = try RcloneS3Server()
        var configuration = server.configuration()
        configuration.multipartPartSize = 5 << 20
        let sink = S3FileSink<Int64>(configuration: configuration, prefix: "output", encoder: .lines { String($0) })
        let writer = try sink.makeWriter(SinkContext(subtask: 0, parallelism: 1, operatorName: "S3"))
        var transaction = try writer.beginTransaction(checkpointID: 7)
        for value in 0..<10 as Range<Int64> { try writer.write(value, timestamp: 0, to: &transaction) }
        try writer.preCommit(&transaction)
        try writer.commit(transaction)
        try writer.commit(transaction) // again, as after a crash between the commit and its bookkeeping
        XCTAssertEqual(try S3Client(configuration).getObject("output/part-0-7-0.txt"), Array((0..<10).map { "\($0)\n" }.joined().utf8))

        var lost = try writer.beginTransaction(checkpointID: 8)
        try writer.write(1, timestamp: 0, to: &lost)
        try writer.preCommit(&lost)
        try S3Client(configuration).abortMultipartUpload(lost.parts[0].key, uploadID: lost.parts[0].uploadID)
        XCTAssertThrowsError(try writer.commit(lost)) { error in
            XCTAssertTrue("\(error)".contains("transaction lost") && "\(error)".contains("s3://checkpoints/output/part-0-8-0.txt") && "\(error)".contains("--multipart-expiry"), "\(error)")
        }
    }
}
