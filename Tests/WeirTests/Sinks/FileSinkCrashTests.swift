import XCTest
@testable import Weir
import WeirTestSupport

/// The exactly-once file sink under SIGKILL at random moments and at each protocol step: the
/// committed files must hold every input row exactly once. The at-least-once mode under the
/// same treatment must show duplicates (the check can fail).
final class FileSinkCrashTests: XCTestCase {
    private var root = ""

    override func setUp() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("weir-filesink-crash-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func harness(events: Int64, parallelism: Int, mode: String = "exactly-once", rate: Int = 60_000) -> CrashHarness {
        CrashHarness(executable: CrashHarness.executable(named: "weir-crash-test-job"),
                     arguments: ["--sink", "files", "--checkpoints", root + "/checkpoints", "--output", root + "/out",
                                 "--events", "\(events)", "--rate", "\(rate)", "--parallelism", "\(parallelism)",
                                 "--interval", "50", "--mode", mode, "--rolling-size", "20000"])
    }

    private func assertExactlyOnce(_ events: Int64, _ outcome: CrashHarness.Outcome, file: StaticString = #filePath, line: UInt = #line) throws {
        let rows = try committedRows(in: root + "/out")
        let counts = Dictionary(rows.map { ($0, 1) }, uniquingKeysWith: +)
        let lost = (0..<events).filter { counts[$0] == nil }
        let duplicated = counts.filter { $0.value > 1 }.map(\.key).sorted()
        XCTAssertTrue(lost.isEmpty && duplicated.isEmpty,
                      "\(lost.count) rows lost (\(lost.prefix(5))), \(duplicated.count) duplicated (\(duplicated.prefix(5))) after \(outcome.kills) kills, \(outcome.crashes) crashes, \(outcome.runs) runs",
                      file: file, line: line)
        XCTAssertEqual(rows.count, Int(events), file: file, line: line)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/out/.inprogress"), [], "no temporary file is left", file: file, line: line)
    }

    private func fiftyRandomKills(parallelism: Int, seed: UInt64) throws {
        var harness = harness(events: 700_000, parallelism: parallelism)
        harness.randomKills = 50
        harness.seed = seed
        let outcome = try harness.run()
        XCTAssertEqual(outcome.kills, 50)
        try assertExactlyOnce(700_000, outcome)
    }

    func testFiftyRandomKillsAtParallelism1LoseAndDuplicateNothing() throws {
        try fiftyRandomKills(parallelism: 1, seed: 11)
    }

    func testFiftyRandomKillsAtParallelism2LoseAndDuplicateNothing() throws {
        try fiftyRandomKills(parallelism: 2, seed: 22)
    }

    /// The job kills itself at one protocol step (from checkpoint 3 on), is resumed, and must
    /// still commit every row exactly once.
    func testEveryInjectedCrashPoint() throws {
        for point in ["before-precommit", "after-precommit", "before-commit", "mid-commit"] {
            try? FileManager.default.removeItem(atPath: root)
            var harness = harness(events: 60_000, parallelism: 2)
            harness.extraArguments = { run in run == 0 ? ["--crash-at", point, "--crash-checkpoint", "3"] : [] }
            let outcome = try harness.run()
            XCTAssertEqual(outcome.crashes, 1, "\(point): the job crashed at the step once")
            try assertExactlyOnce(60_000, outcome)
        }
    }

    /// Crashes first after a pre-commit, then again while restoring (before the recovered
    /// transactions are committed).
    func testCrashDuringRestore() throws {
        var harness = harness(events: 60_000, parallelism: 2)
        harness.extraArguments = { run in
            switch run {
            case 0: return ["--crash-at", "after-precommit", "--crash-checkpoint", "3"]
            case 1: return ["--crash-at", "before-recovery", "--crash-checkpoint", "0"]
            default: return []
            }
        }
        let outcome = try harness.run()
        XCTAssertEqual(outcome.crashes, 2)
        try assertExactlyOnce(60_000, outcome)
    }

    func testAtLeastOnceModeDuplicatesUnderTheSameKills() throws {
        var harness = harness(events: 150_000, parallelism: 2, mode: "at-least-once")
        harness.randomKills = 15
        harness.seed = 33
        _ = try harness.run()
        let rows = try committedRows(in: root + "/out")
        XCTAssertEqual(Set(rows), Set(0..<150_000), "at-least-once loses nothing")
        XCTAssertGreaterThan(rows.count, 150_000, "and writes rows again after restores: the check sees duplicates")
    }
}
