import Foundation
import XCTest
@testable import Weir
import WeirReferenceJobs
import WeirRocksDB
import WeirTestSupport

/// Timers in RocksDB: a window operator's or process function's timers live in the subtask's
/// RocksDB instance (memory holds a floor per key group), fire in the order the heap queue
/// fires them, and travel in incremental checkpoints with the rest of the state.
final class RocksDBTimerTests: XCTestCase {
    /// Weir's timer (Foundation has a `Timer` too).
    private typealias Entry = Weir.Timer<Int, NoNamespace>

    private var base = ""

    override func setUp() {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("weir-rocksdb-timers-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: base)
    }

    private func rocksDB(incremental: Bool) -> RocksDBStateBackend {
        RocksDBStateBackend(localDirectory: base + "/local", cachedEntriesPerTable: 64, incrementalCheckpoints: incremental)
    }

    private func queue(in store: any KeyedStateStore, named name: String = "timers") throws -> TimerQueue<Int, NoNamespace> {
        let queue = TimerQueue<Int, NoNamespace>()
        try XCTUnwrap(store as? KeyedStateTableStore).register(queue, named: name)
        return queue
    }

    private func timer(_ timestamp: Int64, _ key: Int) -> Entry {
        Entry(timestamp: timestamp, key: key, namespace: NoNamespace())
    }

    /// Pops every timer due at `time`; fails if they do not come in time order.
    private func popAll(_ queue: TimerQueue<Int, NoNamespace>, at time: Int64, _ what: String) -> [Entry] {
        var popped: [Entry] = []
        while let timer = queue.popDue(at: time) {
            XCTAssertLessThanOrEqual(timer.timestamp, time, what)
            if let last = popped.last { XCTAssertLessThanOrEqual(last.timestamp, timer.timestamp, "\(what): in time order") }
            popped.append(timer)
        }
        return popped
    }

    /// Random registrations (again of registered and of due timers), deletions and advances of
    /// time, with snapshots between them (each puts back what was read and not handed out), on
    /// the RocksDB queue and on the heap queue: the same timers fire at every step, in time
    /// order, and memory holds at most a floor per key group.
    func testTimersInRocksDBFireLikeTheHeapQueueAndMemoryHoldsOnlyFloors() throws {
        let rocksStore = try StateBackendContract.store(rocksDB(incremental: true))
        let heapStore = try StateBackendContract.store(HeapStateBackend())
        let onDisk = try queue(in: rocksStore)
        let inMemory = try queue(in: heapStore)
        let column = try XCTUnwrap(onDisk.column, "the RocksDB store moves the queue into a column")
        XCTAssertNil(inMemory.column)
        var random = SplitMix64(seed: 17)
        var time: Int64 = -5_000
        var registered: [Entry] = []
        for step in 0..<60_000 {
            switch random.next() % 10 {
            case 0..<6:
                // Also in the past (fires at the next advance) and negative times.
                let timer = timer(time + Int64(random.next() % 3_000) - 200, Int(random.next() % 5_000))
                onDisk.register(timer)
                inMemory.register(timer)
                registered.append(timer)
            case 6, 7:
                guard !registered.isEmpty else { continue }
                let timer = registered[Int(random.next() % UInt64(registered.count))]
                onDisk.delete(timer)
                inMemory.delete(timer)
            case 8:
                time += Int64(random.next() % 400)
                let fromDisk = popAll(onDisk, at: time, "step \(step), RocksDB")
                let fromMemory = popAll(inMemory, at: time, "step \(step), heap")
                XCTAssertEqual(Set(fromDisk), Set(fromMemory), "step \(step): the same timers are due at \(time)")
                XCTAssertEqual(fromDisk.count, fromMemory.count, "step \(step): each fires once")
                XCTAssertEqual(onDisk.nextTimestamp, inMemory.nextTimestamp, "step \(step)")
            default:
                if step % 7 == 0 { _ = try rocksStore.snapshot() }
                // A timer that is due but not handed out yet is still registered.
                if let due = onDisk.popDue(at: time + 50), let same = inMemory.popDue(at: time + 50) {
                    XCTAssertEqual(due.timestamp, same.timestamp, "step \(step)")
                    onDisk.register(due)
                    inMemory.register(same)
                }
            }
            XCTAssertLessThanOrEqual(column.floors.count, rocksStore.keyGroups.count, "step \(step): at most a floor per key group")
            XCTAssertLessThan(column.pending.count, ColumnBackedTimers<Int, NoNamespace>.batch, "step \(step)")
        }
        for key in 0..<2_000 {
            onDisk.register(timer(time + 10_000 + Int64(key % 7), key))
            inMemory.register(timer(time + 10_000 + Int64(key % 7), key))
        }
        XCTAssertEqual(onDisk.count, inMemory.count)
        let last = popAll(onDisk, at: Int64.max, "the end")
        XCTAssertEqual(Set(last), Set(popAll(inMemory, at: Int64.max, "the end (heap)")))
        XCTAssertGreaterThan(last.count, 1_000, "the test leaves timers to the end")
        XCTAssertTrue(column.due.isEmpty && column.dueTimers.isEmpty, "nothing is held in memory once popDue returned nil")
        XCTAssertEqual(onDisk.count, 0)
    }

    /// A full checkpoint of RocksDB's timers is in the heap queue's format, and back: each
    /// backend restores the other's timers, and they fire the same.
    func testFullCheckpointsOfTimersRestoreAcrossBackends() throws {
        let rocksStore = try StateBackendContract.store(rocksDB(incremental: false))
        let onDisk = try queue(in: rocksStore)
        for key in 0..<3_000 { onDisk.register(timer(Int64(key % 100) * 10 - 300, key)) }
        let fromRocksDB = try XCTUnwrap(try rocksStore.snapshot().tables["timers"]).serializeKeyGroups()
        let heapStore = try StateBackendContract.store(HeapStateBackend(), restoring: ["timers": fromRocksDB])
        let inMemory = try queue(in: heapStore)
        XCTAssertEqual(inMemory.count, 3_000)
        let fromHeap = try XCTUnwrap(try heapStore.snapshot().tables["timers"]).serializeKeyGroups()
        let backInRocksDB = try queue(in: try StateBackendContract.store(rocksDB(incremental: false), restoring: ["timers": fromHeap]))
        XCTAssertEqual(backInRocksDB.count, 3_000)
        let expected = Set((0..<3_000).map { timer(Int64($0 % 100) * 10 - 300, $0) })
        XCTAssertEqual(Set(popAll(inMemory, at: Int64.max, "heap")), expected)
        XCTAssertEqual(Set(popAll(backInRocksDB, at: Int64.max, "RocksDB")), expected)
        XCTAssertEqual(Set(popAll(onDisk, at: Int64.max, "the original")), expected)
    }

    /// A window job on RocksDB with incremental checkpoints into the exactly-once file sink,
    /// failed while windows are open at parallelism 1 and then 3, and finished at 2: the timers
    /// of the open windows come back from RocksDB's files (the checkpoints carry no timers of
    /// their own) and fire, so the committed files hold every window once with its exact sum.
    func testWindowTimersTravelInIncrementalCheckpointsAcrossParallelismChanges() throws {
        let workload = ReferenceWorkload(events: 60_000, keys: 500, eventsPerSecond: 2_000, disorderMilliseconds: 30, seed: 11)
        let expected = workload.expectedWindowSums(windowMilliseconds: 2_000).map { "\($0.key),\($0.windowStart),\($0.sum),\($0.count)" }
        let storage = FileCheckpointStorage(directory: base + "/checkpoints")
        let output = base + "/output"
        func job(parallelism: Int, failAt: Int?) -> StreamEnvironment {
            let env = StreamEnvironment(parallelism: parallelism)
            env.checkpointing = CheckpointConfiguration(storage: storage, interval: .milliseconds(50))
            env.restartStrategy = .none
            env.resume = .latest
            env.stateBackend = rocksDB(incremental: true)
            let injector = failAt.map { FailureInjector([$0]) }
            env.addSource(GeneratorSource(count: workload.events, ratePerSecond: 60_000) { workload.event($0) }, name: "Generator")
                .map(name: "Inject") { event in
                    try injector?.check()
                    return event
                }
                .assignTimestampsAndWatermarks(workload.watermarkStrategy)
                .keyBy { $0.key }
                .window(.tumbling(size: .milliseconds(2_000)))
                .aggregate(name: "WindowSum", SumAggregate()) { key, window, total in
                    WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
                }
                .sink(FileSink(directory: output, encoder: .lines { "\($0.key),\($0.windowStart),\($0.sum),\($0.count)" }), name: "Files")
            return env
        }
        for parallelism in [1, 3] {
            XCTAssertThrowsError(try job(parallelism: parallelism, failAt: 15_000).execute("windows"), "parallelism \(parallelism) stops with the injected failure")
            let latest = try XCTUnwrap(try storage.storedCheckpoints().filter(\.isComplete).first)
            let (metadata, states) = try CheckpointInspector.load(latest, in: storage)
            XCTAssertFalse(metadata.sharedFiles?.isEmpty ?? true, "parallelism \(parallelism) wrote incremental checkpoints")
            let windows = states.filter { $0.native != nil }
            XCTAssertEqual(windows.count, parallelism, "each window subtask's state is in RocksDB's files")
            for state in windows {
                XCTAssertFalse(state.keyedParts.contains { $0.name == "window-timers" }, "\(state.operatorID) \(state.subtask): no timers beside RocksDB's files")
            }
        }
        let result = try job(parallelism: 2, failAt: nil).execute("windows")
        XCTAssertNotNil(result.restoredFrom)
        var committed: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: output) where name.hasPrefix("part-") {
            committed += try String(contentsOfFile: output + "/" + name, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        XCTAssertEqual(committed.count, expected.count, "every window once")
        XCTAssertEqual(committed.sorted(), expected.sorted(), "every window's exact sum")
    }
}
