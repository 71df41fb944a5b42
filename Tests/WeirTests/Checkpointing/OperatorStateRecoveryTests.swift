import XCTest
import Synchronization
@testable import Weir
import WeirReferenceJobs
import WeirTestSupport

/// Window contents and timers, and line-file positions, survive failures and restores.
final class OperatorStateRecoveryTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-state-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Windows fire along the way into a non-transactional sink, so a restart may emit a
    /// window again — but always with the same, complete sum: every window's last result must
    /// equal the expectation and none may be missing.
    func testWindowSumsAreExactAcrossRestarts() throws {
        let workload = ReferenceWorkload(events: 200_000, keys: 500, eventsPerSecond: 20_000, disorderMilliseconds: 30, seed: 3)
        let env = StreamEnvironment(parallelism: 2)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .milliseconds(50))
        env.restartStrategy = .exponentialBackoff(attempts: 5, initial: .milliseconds(1), maximum: .milliseconds(20))
        env.warningHandler = { _ in }
        let injector = FailureInjector([30_000, 50_000, 20_000])
        let sink = ImmediateCollectSink<WindowSum>()
        env.addSource(GeneratorSource(count: workload.events, ratePerSecond: 150_000) { workload.event($0) }, name: "Generator")
            .map(name: "Inject") { event in
                try injector.check()
                return event
            }
            .assignTimestampsAndWatermarks(workload.watermarkStrategy)
            .keyBy { $0.key }
            .window(.tumbling(size: .seconds(1)))
            .aggregate(name: "WindowSum", SumAggregate()) { key, window, total in
                WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
            }
            .sink(sink)
        let result = try env.execute("windows")
        XCTAssertEqual(result.restarts, 3)
        var latest: [String: WindowSum] = [:]
        for sum in sink.values {
            let slot = "\(sum.key)@\(sum.windowStart)"
            if let earlier = latest[slot] { XCTAssertEqual(earlier, sum, "a window emitted again after a restart has the same result") }
            latest[slot] = sum
        }
        let expected = Dictionary(uniqueKeysWithValues: workload.expectedWindowSums().map { ("\($0.key)@\($0.windowStart)", $0) })
        let missing = expected.keys.filter { latest[$0] == nil }.sorted()
        let wrong = expected.filter { latest[$0.key] != nil && latest[$0.key] != $0.value }.map { "\(latest[$0.key]!) expected sum=\($0.value.sum) count=\($0.value.count)" }.sorted()
        let unexpected = latest.keys.filter { expected[$0] == nil }.sorted()
        XCTAssertTrue(missing.isEmpty && wrong.isEmpty && unexpected.isEmpty,
                      "\(missing.count) windows missing (\(missing.prefix(3))), \(wrong.count) wrong (\(wrong.prefix(3))), \(unexpected.count) unexpected (\(unexpected.prefix(3)))")
    }

    /// Session windows (the merging assigner, whose state is a list of sessions per key) come
    /// back from a checkpoint whole, and under the state name that checkpoints already written
    /// carry: "window-sessions" is part of the checkpoint format (a rename would leave a restored
    /// job with empty sessions).
    func testSessionWindowsAreExactAcrossRestartsAndKeepTheirStateName() throws {
        // 20 keys; each key's events 10 ms apart in bursts of 40, bursts 1 s apart; gap 100 ms:
        // one session of 40 events per key and burst, [1400 b, 1400 b + 490).
        let keys = 20, bursts: Int64 = 20, gap: Int64 = 100
        let env = StreamEnvironment(parallelism: 2)
        var checkpointing = CheckpointConfiguration(directory: directory, interval: .milliseconds(30))
        // Every checkpoint kept: under load the two newest can both come after the last
        // session closed (CI once saw no keyed state in them).
        checkpointing.retainedCheckpoints = 1_000
        env.checkpointing = checkpointing
        env.restartStrategy = .fixedDelay(attempts: 5, delay: .zero)
        env.warningHandler = { _ in }
        let injector = FailureInjector([5_000, 4_000])
        let sink = ImmediateCollectSink<String>()
        env.addSource(GeneratorSource(count: Int64(keys) * 40 * bursts, ratePerSecond: 20_000) { index in
            let step = index / Int64(keys)
            let time = step * 10 + (step / 40) * 1_000
            return StreamRecord(ReferenceEvent(key: Int(index) % keys, value: 1), timestamp: time)
        }, name: "Generator")
            .map(name: "Inject") { event in
                try injector.check()
                return event
            }
            .assignTimestampsAndWatermarks(.boundedOutOfOrderness(.milliseconds(5)))
            .keyBy { $0.key }
            .window(.session(gap: .milliseconds(gap)))
            .aggregate(name: "Sessions", SumAggregate()) { key, window, total in
                "\(key) [\(window.start),\(window.end)) \(total.count)"
            }
            .sink(sink)
        let result = try env.execute("sessions")
        XCTAssertEqual(result.restarts, 2)
        var expected: Set<String> = []
        for key in 0..<keys {
            for burst in 0..<bursts { expected.insert("\(key) [\(1_400 * burst),\(1_400 * burst + 490)) 40") }
        }
        // A restart may emit a session again (the sink is not transactional), never a different one.
        XCTAssertEqual(Set(sink.values), expected)

        // Checkpoints before the final one hold open sessions.
        let retained = try CheckpointInspector.list(directory: directory).filter { $0.metadata != nil }
        XCTAssertFalse(retained.isEmpty)
        let names = Set(try retained.flatMap { try CheckpointInspector.load($0.path).states.flatMap { $0.keyedParts.map(\.name) } })
        XCTAssertTrue(names.contains("window-sessions"), "state names in the checkpoint: \(names.sorted())")
    }

    func testLineFilePositionsAreRestoredAfterFailures() throws {
        let input = directory + "-input"
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: input) }
        var expected: [Int: Int64] = [:]
        for file in 0..<3 {
            var text = ""
            for line in 0..<20_000 {
                let key = (file * 7 + line) % 97
                expected[key, default: 0] += 1
                text += "\(key)\n"
            }
            try text.write(toFile: "\(input)/part-\(file).txt", atomically: true, encoding: .utf8)
        }
        let env = StreamEnvironment(parallelism: 2)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .milliseconds(20))
        env.restartStrategy = .fixedDelay(attempts: 5, delay: .zero)
        env.warningHandler = { _ in }
        let injector = FailureInjector([15_000, 15_000])
        let slowdown = Atomic<Int>(0)
        let sink = CollectSink<FinalCount.Count>()
        env.addSource(try LineFileSource(directory: input), name: "Files")
            .map(name: "Parse") { line -> ReferenceEvent in
                try injector.check()
                if slowdown.add(1, ordering: .relaxed).newValue % 500 == 0 { usleep(1_000) }  // let checkpoints happen mid-file
                return ReferenceEvent(key: Int(line)!, value: 1)
            }
            .keyBy { $0.key }
            .process { FinalCount() }
            .sink(sink)
        let result = try env.execute("files")
        XCTAssertEqual(result.restarts, 2)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: sink.values.map { ($0.key, $0.count) }), expected)
    }

    func testRestartDelays() {
        XCTAssertNil(RestartStrategy.none.delay(beforeAttempt: 1))
        XCTAssertEqual(RestartStrategy.fixedDelay(attempts: 2, delay: .seconds(1)).delay(beforeAttempt: 2), .seconds(1))
        XCTAssertNil(RestartStrategy.fixedDelay(attempts: 2, delay: .seconds(1)).delay(beforeAttempt: 3))
        let backoff = RestartStrategy.exponentialBackoff(attempts: 10, initial: .milliseconds(100), maximum: .seconds(1))
        XCTAssertEqual((1...6).map { backoff.delay(beforeAttempt: $0)! },
                       [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
    }
}
