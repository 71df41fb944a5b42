import Foundation
import XCTest
import Weir
import WeirReferenceJobs
import WeirRocksDB
import WeirTestSupport

/// Whole jobs on the RocksDB backend: the same job code as on the heap, switched by
/// `env.stateBackend`; failures, restarts and restores at other parallelisms stay exact.
final class RocksDBJobTests: XCTestCase {
    private var checkpoints = ""
    private var local = ""

    override func setUp() {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("weir-rocksdb-jobs-\(UUID().uuidString)").path
        checkpoints = base + "/checkpoints"
        local = base + "/local"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: (checkpoints as NSString).deletingLastPathComponent)
    }

    /// A cache of 64 values per table, so that most accesses go to RocksDB.
    private var rocksDB: RocksDBStateBackend { RocksDBStateBackend(localDirectory: local, cachedEntriesPerTable: 64) }

    private func countingJob(_ workload: ReferenceWorkload, rate: Double, parallelism: Int, injector: FailureInjector?,
                             backend: any StateBackend) -> (StreamEnvironment, CollectSink<FinalCount.Count>) {
        let (env, sink) = CountingJob.make(workload, rate: rate, parallelism: parallelism, injector: injector,
                                           storage: FileCheckpointStorage(directory: checkpoints))
        env.stateBackend = backend
        return (env, sink)
    }

    private func counts(_ values: [FinalCount.Count]) -> [Int: Int64] {
        CountingJob.counts(values) { key in XCTFail("key \(key) emitted twice") }
    }

    func testTaskFailuresRestartFromTheLatestCheckpointAndCountsStayExact() throws {
        let workload = ReferenceWorkload(events: 120_000, keys: 2_000)
        var random = SplitMix64(seed: 17)
        let injector = FailureInjector((0..<6).map { _ in 2_000 + Int(random.next() % 20_000) })
        let (env, sink) = countingJob(workload, rate: 120_000, parallelism: 2, injector: injector, backend: rocksDB)
        env.restartStrategy = .fixedDelay(attempts: 10, delay: .zero)
        env.warningHandler = { _ in }
        let result = try env.execute("counting")
        XCTAssertEqual(result.restarts, 6)
        XCTAssertEqual(counts(sink.values), workload.expectedCounts(), "every event counted exactly once across 6 restarts")
        XCTAssertTrue(result.checkpoints.allSatisfy { $0.stateSize > 0 }, "RocksDB's state is in every checkpoint")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: local), [], "every run's local instances are deleted")
    }

    func testRestoreWithParallelism1Then3Then2AndAcrossBackendsGivesTheSameCounts() throws {
        let workload = ReferenceWorkload(events: 90_000, keys: 1_000)
        // RocksDB at 1, the heap at 3 (from RocksDB's checkpoint), RocksDB at 2 (from the heap's):
        // full checkpoints, the kind both backends read (incremental ones restore on RocksDB only).
        let full = RocksDBStateBackend(localDirectory: local, cachedEntriesPerTable: 64, incrementalCheckpoints: false)
        for (parallelism, backend) in [(1, full as any StateBackend), (3, HeapStateBackend())] {
            let (env, _) = countingJob(workload, rate: 60_000, parallelism: parallelism, injector: FailureInjector([20_000]), backend: backend)
            env.resume = .latest
            XCTAssertThrowsError(try env.execute("counting"), "parallelism \(parallelism) stops with the injected failure")
        }
        let (env, sink) = countingJob(workload, rate: 60_000, parallelism: 2, injector: nil, backend: full)
        env.resume = .latest
        let result = try env.execute("counting")
        XCTAssertNotNil(result.restoredFrom)
        XCTAssertEqual(counts(sink.values), workload.expectedCounts(), "key groups moved from 1 to 3 to 2 subtasks and between backends without loss or duplication")
    }

    func testWindowSumsMatchTheExpectationAtParallelism1And2() throws {
        let workload = ReferenceWorkload(events: 100_000, keys: 2_000, eventsPerSecond: 50_000, disorderMilliseconds: 80, seed: 7)
        let expected = workload.expectedWindowSums(windowMilliseconds: 500)
        for parallelism in [1, 2] {
            let env = StreamEnvironment(parallelism: parallelism)
            env.stateBackend = rocksDB
            let sink = CollectSink<WindowSum>()
            workload.windowSums(in: env, windowMilliseconds: 500).sink(sink)
            let result = try env.execute()
            XCTAssertEqual(sink.values.sorted { ($0.windowStart, $0.key) < ($1.windowStart, $1.key) }, expected, "parallelism \(parallelism)")
            XCTAssertEqual(result.lateRecordsDropped, 0)
        }
    }
}
