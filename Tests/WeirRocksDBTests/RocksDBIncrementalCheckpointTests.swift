import Foundation
import XCTest
@testable import Weir
import WeirReferenceJobs
import WeirRocksDB
import WeirS3
import WeirTestSupport

/// Incremental checkpoints of the RocksDB backend: RocksDB's own files, each SST uploaded once
/// and referenced by later checkpoints; restores of them at the same and at other
/// parallelisms; retention and clean-up of the shared files; damaged shared files.
final class RocksDBIncrementalCheckpointTests: XCTestCase {
    private var base = ""
    private var checkpoints: String { base + "/checkpoints" }
    private var local: String { base + "/local" }

    override func setUp() {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("weir-rocksdb-incremental-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: base)
    }

    private var rocksDB: RocksDBStateBackend { RocksDBStateBackend(localDirectory: local, cachedEntriesPerTable: 64) }

    /// The files under `checkpoints/shared`, as the names checkpoints reference (`<instance>/<file>`).
    private func sharedFilesOnDisk() throws -> Set<String> {
        let shared = checkpoints + "/shared"
        guard FileManager.default.fileExists(atPath: shared) else { return [] }
        var names = Set<String>()
        for instance in try FileManager.default.contentsOfDirectory(atPath: shared) {
            for file in try FileManager.default.contentsOfDirectory(atPath: shared + "/" + instance) { names.insert(instance + "/" + file) }
        }
        return names
    }

    /// The metadata of every completed checkpoint in `checkpoints`, newest first, read without the job.
    private func completedMetadata() throws -> [CheckpointMetadata] {
        let store = CheckpointStore(FileCheckpointStorage(directory: checkpoints))
        return try store.storage.storedCheckpoints().filter(\.isComplete).map { try store.metadata(of: $0) }
    }

    private func countingJob(_ workload: ReferenceWorkload, rate: Double, parallelism: Int, injector: FailureInjector?,
                             backend: any StateBackend, warnings: Warnings? = nil) -> (StreamEnvironment, CollectSink<FinalCount.Count>) {
        let (env, sink) = CountingJob.make(workload, rate: rate, parallelism: parallelism, injector: injector,
                                           storage: FileCheckpointStorage(directory: checkpoints), warnings: warnings)
        env.stateBackend = backend
        return (env, sink)
    }

    private func counts(_ values: [FinalCount.Count]) -> [Int: Int64] {
        CountingJob.counts(values) { key in XCTFail("key \(key) emitted twice") }
    }

    // MARK: - The backend alone

    /// The first key at or after `start` whose key group is `keyGroup`.
    private func key(in keyGroup: Int, maxParallelism: Int, from start: Int = 0) -> Int {
        var key = start
        while KeyPosition(of: key, maxParallelism: maxParallelism).keyGroup != keyGroup { key += 1 }
        return key
    }

    /// One store over all 65,536 key groups (the most the key layout holds, so the last key
    /// group's upper bound is past the two-byte prefix), checkpointed twice into a real file
    /// storage; the second checkpoint references the first one's SST file instead of uploading it
    /// again. Then restored whole (the files used as they are) and split in two (key groups copied
    /// out): every entry comes back exactly where its key group goes, the last key group's too.
    func testAPersistedSnapshotRestoresWholeAndSplitIncludingTheLastKeyGroup() throws {
        let maxParallelism = 1 << 16
        let all = KeyGroupRange(start: 0, end: maxParallelism - 1)
        let location = OperatorLocation(operatorName: "count", subtask: 0, parallelism: 1)
        let files = SharedStateFiles(storage: FileCheckpointStorage(directory: checkpoints))
        let first = key(in: 0, maxParallelism: maxParallelism)
        let last = key(in: maxParallelism - 1, maxParallelism: maxParallelism)
        var expected: [Int: Int] = [first: -1, last: -2]
        for key in 0..<3_000 { expected[key] = key * 10 }

        let store = try rocksDB.makeKeyedStateStore(for: location, keyGroups: all, maxParallelism: maxParallelism, restoring: [:])
        let table = try store.table(named: "counts", key: Int.self, value: Int.self)
        let position = { (key: Int) in KeyPosition(of: key, maxParallelism: maxParallelism) }
        for (key, value) in expected where key < 1_500 || key == first || key == last { table.set(value, for: key, at: position(key)) }
        let one = try XCTUnwrap(try store.snapshot().native, "an incremental backend snapshots its files").persist(checkpointID: 1, to: files)
        for key in 1_500..<3_000 { table.set(key * 10, for: key, at: position(key)) }
        let two = try XCTUnwrap(try store.snapshot().native).persist(checkpointID: 2, to: files)

        XCTAssertEqual(one.format, "rocksdb")
        XCTAssertEqual(one.keyGroups, all)
        XCTAssertFalse(one.sharedFiles.isEmpty, "the first checkpoint uploads its SST files")
        XCTAssertTrue(one.sharedFiles.allSatisfy { $0.uploadedBy == 1 })
        XCTAssertFalse(one.privateFiles.isEmpty, "MANIFEST, CURRENT and OPTIONS are inline")
        XCTAssertEqual(Set(two.sharedFiles.filter { $0.uploadedBy == 1 }), Set(one.sharedFiles), "the second checkpoint references the first one's SSTs")
        XCTAssertFalse(two.sharedFiles.filter { $0.uploadedBy == 2 }.isEmpty, "and uploads only its new one")
        XCTAssertEqual(try sharedFilesOnDisk(), Set(two.sharedFiles.map(\.name)), "each SST is in the shared area once")

        // Whole: the handle's files are this subtask's instance.
        let whole = try rocksDB.makeKeyedStateStore(for: location, keyGroups: all, maxParallelism: maxParallelism, restoring: [:],
                                                    native: [two], sharedFiles: files)
        var restored: [Int: Int] = [:]
        try whole.table(named: "counts", key: Int.self, value: Int.self).forEachEntry { restored[$0] = $1 }
        XCTAssertEqual(restored, expected, "restored whole")
        XCTAssertEqual(try whole.table(named: "counts", key: Int.self, value: Int.self).get(last, at: position(last)), -2)

        // Split: each half reads its key groups out of the one handle.
        restored = [:]
        for half in [KeyGroupRange(start: 0, end: 32_767), KeyGroupRange(start: 32_768, end: 65_535)] {
            let part = try rocksDB.makeKeyedStateStore(for: location, keyGroups: half, maxParallelism: maxParallelism, restoring: [:],
                                                       native: [two], sharedFiles: files)
            let partTable = try part.table(named: "counts", key: Int.self, value: Int.self)
            try partTable.forEachEntry { key, value in
                XCTAssertTrue(half.contains(position(key).keyGroup), "key \(key) restored into the subtask of its key group")
                XCTAssertNil(restored.updateValue(value, forKey: key), "key \(key) restored once")
            }
            if half.contains(maxParallelism - 1) { XCTAssertEqual(partTable.get(last, at: position(last)), -2, "the last key group is copied") }
        }
        XCTAssertEqual(restored, expected, "restored split in two")

        // A store restored from files not its own uploads all of them at its first checkpoint.
        let again = try XCTUnwrap(try whole.snapshot().native).persist(checkpointID: 3, to: files)
        XCTAssertTrue(again.sharedFiles.allSatisfy { $0.uploadedBy == 3 }, "the first checkpoint after a restore is a full one")
        XCTAssertTrue(Set(again.sharedFiles.map(\.name)).isDisjoint(with: two.sharedFiles.map(\.name)))
    }

    /// The handle of an incremental checkpoint of one entry (1 → 1 in `counts`), persisted to `files`.
    private func persistedHandleOfOneEntry(to files: SharedStateFiles) throws -> NativeKeyedStateHandle {
        let store = try StateBackendContract.store(rocksDB)
        try store.table(named: "counts", key: Int.self, value: Int.self).set(1, for: 1, at: StateBackendContract.position(1))
        return try XCTUnwrap(try store.snapshot().native).persist(checkpointID: 1, to: files)
    }

    /// The heap backend cannot read RocksDB's files: it refuses them and says what to do.
    func testTheHeapBackendRefusesAnIncrementalCheckpointWithTheFix() throws {
        let files = SharedStateFiles(storage: FileCheckpointStorage(directory: checkpoints))
        let location = OperatorLocation(operatorName: "count", subtask: 0, parallelism: 1)
        let handle = try persistedHandleOfOneEntry(to: files)
        XCTAssertThrowsError(try HeapStateBackend().makeKeyedStateStore(for: location, keyGroups: KeyGroupRange(start: 0, end: 127), maxParallelism: 128,
                                                                        restoring: [:], native: [handle], sharedFiles: files)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("rocksdb") && message.contains("HeapStateBackend cannot read"), message)
            XCTAssertTrue(message.contains("incrementalCheckpoints: false"), "names the way to move between backends: \(message)")
        }
    }

    /// RocksDB files of the first state format hold keys in an encoding lookups no longer use:
    /// the restore refuses them and says how to move the state over (a full checkpoint).
    func testFilesOfTheFirstStateFormatAreRefusedWithTheWayOver() throws {
        let files = SharedStateFiles(storage: FileCheckpointStorage(directory: checkpoints))
        let location = OperatorLocation(operatorName: "count", subtask: 0, parallelism: 1)
        var handle = try persistedHandleOfOneEntry(to: files)
        XCTAssertEqual(handle.stateFormat, NativeKeyedStateHandle.currentStateFormat)
        let current = try rocksDB.makeKeyedStateStore(for: location, keyGroups: KeyGroupRange(start: 0, end: 127), maxParallelism: 128,
                                                      restoring: [:], native: [handle], sharedFiles: files)
        XCTAssertEqual(try current.table(named: "counts", key: Int.self, value: Int.self).get(1, at: StateBackendContract.position(1)), 1)

        // A handle of the first format had no stateFormat field.
        handle.stateFormat = nil
        let old = try JSONDecoder().decode(NativeKeyedStateHandle.self, from: try JSONEncoder().encode(handle))
        XCTAssertNil(old.stateFormat)
        XCTAssertThrowsError(try rocksDB.makeKeyedStateStore(for: location, keyGroups: KeyGroupRange(start: 0, end: 127), maxParallelism: 128,
                                                             restoring: [:], native: [old], sharedFiles: files)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("first state format") && message.contains("--rocksdb-checkpoints full"), message)
        }
    }

    // MARK: - Whole jobs

    /// A job with restarts on incremental checkpoints: the checkpoints reference SSTs uploaded
    /// by earlier ones, write less than they reference, and once the job is done the shared
    /// area holds exactly the files the retained checkpoints reference (retention and the
    /// clean-up after the restarts deleted the rest).
    func testCheckpointsShareFilesAndRetentionKeepsExactlyTheReferencedOnes() throws {
        let workload = ReferenceWorkload(events: 150_000, keys: 5_000)
        var random = SplitMix64(seed: 99)
        let injector = FailureInjector((0..<3).map { _ in 10_000 + Int(random.next() % 30_000) })
        let (env, sink) = countingJob(workload, rate: 100_000, parallelism: 2, injector: injector, backend: rocksDB)
        env.restartStrategy = .fixedDelay(attempts: 5, delay: .zero)
        env.warningHandler = { _ in }
        env.checkpointing?.retainedCheckpoints = 2
        let result = try env.execute("counting")
        XCTAssertEqual(result.restarts, 3)
        XCTAssertEqual(counts(sink.values), workload.expectedCounts(), "every event counted exactly once across 3 restarts")
        XCTAssertGreaterThan(result.checkpoints.count, 6)
        XCTAssertTrue(result.checkpoints.contains { $0.checkpointedSize < $0.stateSize }, "some checkpoints upload less than they reference")
        XCTAssertTrue(result.checkpoints.allSatisfy { $0.checkpointedSize <= $0.stateSize })

        let retained = try completedMetadata()
        XCTAssertEqual(retained.count, 2)
        let referenced = Set(retained.flatMap { $0.sharedFiles ?? [] }.map(\.name))
        XCTAssertFalse(referenced.isEmpty, "the checkpoints are incremental")
        XCTAssertTrue(retained.contains { metadata in (metadata.sharedFiles ?? []).contains { $0.uploadedBy < metadata.checkpointID } },
                      "a retained checkpoint references a file an earlier checkpoint uploaded")
        XCTAssertEqual(try sharedFilesOnDisk(), referenced, "the shared area holds exactly what the retained checkpoints reference")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: local), [], "every run's local instances and checkpoint directories are deleted")
    }

    /// Shared files uploaded by a checkpoint that never completed (the process died before its
    /// metadata) are deleted when the next run claims the storage.
    func testFilesOfACheckpointThatNeverCompletedAreRemovedAtTheNextClaim() throws {
        let workload = ReferenceWorkload(events: 60_000, keys: 1_000)
        let (first, _) = countingJob(workload, rate: 60_000, parallelism: 1, injector: FailureInjector([30_000]), backend: rocksDB)
        XCTAssertThrowsError(try first.execute("counting"))
        let referenced = Set(try completedMetadata().flatMap { $0.sharedFiles ?? [] }.map(\.name))
        XCTAssertEqual(try sharedFilesOnDisk(), referenced)
        let orphan = checkpoints + "/shared/0e0e0e0e-dead-instance/000099.sst"
        try FileManager.default.createDirectory(atPath: (orphan as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: orphan, contents: Data(repeating: 7, count: 4_096)))

        let (env, sink) = countingJob(workload, rate: 200_000, parallelism: 1, injector: nil, backend: rocksDB)
        env.resume = .latest
        let result = try env.execute("counting")
        XCTAssertNotNil(result.restoredFrom)
        XCTAssertEqual(counts(sink.values), workload.expectedCounts())
        XCTAssertFalse(FileManager.default.fileExists(atPath: orphan), "the orphan is gone")
        XCTAssertEqual(try sharedFilesOnDisk(), Set(try completedMetadata().flatMap { $0.sharedFiles ?? [] }.map(\.name)))
    }

    /// A damaged or missing SST of the latest checkpoint makes that checkpoint unusable before
    /// anything is restored; the job restores the one before (its only sink replaces replayed
    /// results), says so, and counts exactly.
    func testADamagedSharedFileMakesTheLatestCheckpointUnusableAndTheRestoreFallsBack() throws {
        let workload = ReferenceWorkload(events: 80_000, keys: 2_000)
        for damage in ["truncated", "missing"] {
            try? FileManager.default.removeItem(atPath: base)
            let (first, _) = countingJob(workload, rate: 60_000, parallelism: 1, injector: FailureInjector([40_000]), backend: rocksDB)
            first.checkpointing?.retainedCheckpoints = 3
            XCTAssertThrowsError(try first.execute("counting"))
            let retained = try completedMetadata()
            XCTAssertGreaterThanOrEqual(retained.count, 2, damage)
            let latest = retained[0]
            let own = try XCTUnwrap((latest.sharedFiles ?? []).first { $0.uploadedBy == latest.checkpointID }, "the latest checkpoint uploaded a file")
            let path = checkpoints + "/shared/" + own.name
            if damage == "missing" {
                try FileManager.default.removeItem(atPath: path)
            } else {
                let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
                try handle.truncate(atOffset: UInt64(own.size / 2))
                try handle.close()
            }

            let warnings = Warnings()
            let (env, sink) = countingJob(workload, rate: 200_000, parallelism: 1, injector: nil, backend: rocksDB, warnings: warnings)
            env.resume = .latest
            let result = try env.execute("counting")
            XCTAssertEqual(result.restoredFrom, retained[1].checkpointID, "\(damage): the checkpoint before the damaged one")
            XCTAssertTrue(warnings.all.contains { $0.contains("checkpoint \(latest.checkpointID) is not usable") && $0.contains(own.name) }, "\(damage): \(warnings.all)")
            XCTAssertEqual(counts(sink.values), workload.expectedCounts(), "\(damage): exact from the older checkpoint")
        }
    }

    /// Incremental checkpoints in an S3 bucket (rclone serve s3): the SST files go to
    /// `<prefix>/shared/`, a failed run restores at another parallelism from them exactly, and
    /// when the job is done the bucket's shared area holds exactly what the retained checkpoints
    /// reference (retention and the clean-up at the claim deleted the rest through S3).
    func testIncrementalCheckpointsInAnS3BucketRestoreAtAnotherParallelismAndRetentionCleansTheBucket() throws {
        let server = try RcloneS3Server()
        let configuration = S3Configuration(endpoint: server.endpoint, bucket: server.bucket,
                                            credentials: S3Credentials(accessKeyID: RcloneS3Server.accessKeyID, secretAccessKey: RcloneS3Server.secretAccessKey))
        let storage = { S3CheckpointStorage(configuration, prefix: "jobs/counting") }
        let sharedKeys = { Set(try S3Client(configuration).listObjects(prefix: "jobs/counting/shared/").map { String($0.key.dropFirst("jobs/counting/shared/".count)) }) }
        let referenced = { () throws -> Set<String> in
            let store = CheckpointStore(storage())
            return Set(try store.storage.storedCheckpoints().filter(\.isComplete).flatMap { try store.metadata(of: $0).sharedFiles ?? [] }.map(\.name))
        }
        let workload = ReferenceWorkload(events: 120_000, keys: 2_000)
        let (failing, _) = CountingJob.make(workload, rate: 100_000, parallelism: 2, injector: FailureInjector([60_000]), storage: storage())
        failing.stateBackend = rocksDB
        XCTAssertThrowsError(try failing.execute("counting"))
        let afterFailure = try sharedKeys()
        XCTAssertFalse(afterFailure.isEmpty, "the SST files are in the bucket")
        XCTAssertTrue(afterFailure.isSuperset(of: try referenced()))

        let (env, sink) = CountingJob.make(workload, rate: 200_000, parallelism: 3, injector: nil, storage: storage())
        env.stateBackend = rocksDB
        env.resume = .latest
        let result = try env.execute("counting")
        XCTAssertNotNil(result.restoredFrom)
        XCTAssertEqual(counts(sink.values), workload.expectedCounts(), "key groups moved from 2 to 3 subtasks through RocksDB files in S3 without loss or duplication")
        XCTAssertEqual(try sharedKeys(), try referenced(), "the bucket holds exactly the shared files the retained checkpoints reference")
        XCTAssertTrue(try sharedKeys().isDisjoint(with: afterFailure), "none of the first run's files is referenced any more, so none is left")
    }

    /// Key groups move from 1 to 3 to 2 subtasks through incremental checkpoints only (each
    /// restore copies its key groups out of the handles that overlap them), and the job is
    /// killed by a failure each time: the counts stay exact.
    func testIncrementalCheckpointsRestoreAtParallelism1Then3Then2() throws {
        let workload = ReferenceWorkload(events: 90_000, keys: 1_000)
        for parallelism in [1, 3] {
            let (env, _) = countingJob(workload, rate: 60_000, parallelism: parallelism, injector: FailureInjector([20_000]), backend: rocksDB)
            env.resume = .latest
            XCTAssertThrowsError(try env.execute("counting"), "parallelism \(parallelism) stops with the injected failure")
            XCTAssertFalse(try completedMetadata()[0].sharedFiles?.isEmpty ?? true, "parallelism \(parallelism) wrote incremental checkpoints")
        }
        let (env, sink) = countingJob(workload, rate: 60_000, parallelism: 2, injector: nil, backend: rocksDB)
        env.resume = .latest
        let result = try env.execute("counting")
        XCTAssertNotNil(result.restoredFrom)
        XCTAssertEqual(counts(sink.values), workload.expectedCounts(), "key groups moved from 1 to 3 to 2 subtasks without loss or duplication")
    }
}
