import Foundation
import XCTest
import Weir
import WeirRocksDB
import WeirTestSupport

/// The state backend contract on RocksDB, checkpoints across backends, and the write-back cache
/// against a dictionary model.
final class RocksDBStateBackendTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-rocksdb-tests-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Full checkpoints (per key group, in the heap's format): what the contract reads. The
    /// incremental ones are RocksDBIncrementalCheckpointTests'.
    private func backend(cachedEntriesPerTable: Int = 16_384) -> RocksDBStateBackend {
        RocksDBStateBackend(localDirectory: directory, cachedEntriesPerTable: cachedEntriesPerTable, incrementalCheckpoints: false)
    }

    func testSnapshotIsUnaffectedByLaterWrites() throws {
        try StateBackendContract.snapshotIsUnaffectedByLaterWrites(backend())
        try StateBackendContract.snapshotIsUnaffectedByLaterWrites(backend(cachedEntriesPerTable: 3))
    }

    /// The first format encoded `Int` keys as 8 bytes; a lookup today encodes them as a
    /// varint: the restore re-encodes them, else every old key would be missed.
    func testAFullCheckpointOfTheFirstStateFormatRestoresWithItsKeysReencoded() throws {
        try StateBackendContract.firstFormatCheckpointRestores(backend())
        try StateBackendContract.firstFormatCheckpointRestores(backend(cachedEntriesPerTable: 4))
    }

    func testSameNameWithOtherTypesIsRejected() throws {
        try StateBackendContract.sameNameWithOtherTypesIsRejected(backend())
    }

    func testCheckpointsRestoreAtAnotherParallelismIntoEitherBackend() throws {
        try StateBackendContract.checkpointRestoresSplitInto(backend(), from: backend())
        try StateBackendContract.checkpointRestoresSplitInto(HeapStateBackend(), from: backend(cachedEntriesPerTable: 10))
        try StateBackendContract.checkpointRestoresSplitInto(backend(cachedEntriesPerTable: 10), from: HeapStateBackend())
    }

    /// Random gets, sets, removals and updates through a cache of 8 entries (so that nearly
    /// every access misses or evicts), with snapshots taken on the way, against a dictionary.
    func testSmallCacheAgreesWithADictionaryThroughEvictionsAndSnapshots() throws {
        let store = try StateBackendContract.store(backend(cachedEntriesPerTable: 8))
        let table = try store.table(named: "model", key: Int.self, value: String.self)
        var model: [Int: String] = [:]
        var random = SplitMix64(seed: 2026)
        var snapshots: [(KeyedStateSnapshot, [Int: String])] = []
        for step in 0..<20_000 {
            let key = Int(random.next() % 300)
            let position = StateBackendContract.position(key)
            switch random.next() % 4 {
            case 0: XCTAssertEqual(table.get(key, at: position), model[key], "step \(step), key \(key)")
            case 1: table.set("v\(step)", for: key, at: position); model[key] = "v\(step)"
            case 2: table.set(nil, for: key, at: position); model[key] = nil
            default:
                table.update(key, at: position) { value in value = (value ?? "") + "+" }
                model[key] = (model[key] ?? "") + "+"
            }
            if step % 5_000 == 4_999 { snapshots.append((try store.snapshot(), model)) }
        }
        XCTAssertEqual(table.count, model.count)
        for (index, (snapshot, expected)) in snapshots.enumerated() {
            XCTAssertEqual(try snapshot.entries(of: "model", as: [Int: String].self), expected, "snapshot \(index) is the state of its moment")
        }
    }

    func testTheInstanceDirectoryIsDeletedWithItsStoreAndAbandonedOnesAreCleanedUp() throws {
        // A directory a killed process left: its pid runs no more.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        try FileManager.default.createDirectory(atPath: directory + "/Count-0-pid\(dead.processIdentifier)-1", withIntermediateDirectories: true)
        var ownName = ""
        do {
            let store = try StateBackendContract.store(backend())
            let table = try store.table(named: "t", key: Int.self, value: Int.self)
            table.set(1, for: 1, at: StateBackendContract.position(1))
            _ = try store.snapshot()
            let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            XCTAssertEqual(names.count, 1, "the abandoned directory is gone, this store's is there: \(names)")
            ownName = names.first ?? ""
            XCTAssertTrue(ownName.hasPrefix("contract-0-pid\(getpid())-"), ownName)
        }
        XCTAssertFalse(ownName.isEmpty)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [], "the store, its table and its snapshot are gone, and so is the instance's directory")
    }

    func testAMaxParallelismBeyondTheKeyLayoutIsRefusedWithTheLimit() {
        XCTAssertThrowsError(try backend().makeKeyedStateStore(for: OperatorLocation(operatorName: "w", subtask: 0, parallelism: 1),
                                                               keyGroups: KeyGroupRange(start: 0, end: 99_999), maxParallelism: 100_000, restoring: [:])) { error in
            XCTAssertTrue("\(error)".contains("65536"), "\(error)")
        }
    }
}
