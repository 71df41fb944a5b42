import XCTest
@testable import Weir
import WeirTestSupport

/// The exactly-once PostgreSQL sink under SIGKILL at random moments and at each protocol step,
/// against a real server: the table must hold every input row exactly once, and no prepared
/// transaction may be left behind.
final class PostgresSinkCrashTests: XCTestCase {
    private var root = ""
    private var table = ""
    private var client: PostgresTestClient!

    override func setUpWithError() throws {
        client = PostgresTestClient(try PostgresTestServer.endpoint())
        root = FileManager.default.temporaryDirectory.appendingPathComponent("weir-postgres-crash-\(UUID().uuidString)").path
        table = PostgresTestClient.uniqueTable("crash_test")
        try client.execute("CREATE TABLE \(table) (id bigint NOT NULL, key bigint NOT NULL)")
    }

    override func tearDownWithError() throws {
        // The runs' log is kept when a test failed (its path is in the failure message).
        if testRun?.hasSucceeded ?? true { try? FileManager.default.removeItem(atPath: root) }
        try client?.rollBackAllPrepared()
        try client?.execute("DROP TABLE IF EXISTS \(table)")
        client = nil
    }

    private func harness(events: Int64, parallelism: Int, rate: Int = 60_000) throws -> CrashHarness {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var harness = CrashHarness(executable: CrashHarness.executable(named: "weir-crash-test-job"),
                     arguments: ["--sink", "postgres", "--postgres-url", try PostgresTestServer.url(), "--table", table,
                                 "--checkpoints", root + "/checkpoints",
                                 "--events", "\(events)", "--rate", "\(rate)", "--parallelism", "\(parallelism)", "--interval", "50"])
        harness.logPath = root + "/runs.log"
        return harness
    }

    private func assertExactlyOnce(_ events: Int64, _ outcome: CrashHarness.Outcome, file: StaticString = #filePath, line: UInt = #line) throws {
        let total = try client.integer("SELECT count(*) FROM \(table)")
        let distinct = try client.integer("SELECT count(DISTINCT id) FROM \(table)")
        let inRange = try client.integer("SELECT count(*) FROM \(table) WHERE id >= 0 AND id < \(events) AND key = id % 100")
        XCTAssertEqual(distinct, events, "\(events - distinct) rows lost after \(outcome.kills) kills, \(outcome.crashes) crashes, \(outcome.runs) runs; log: \(root)/runs.log", file: file, line: line)
        XCTAssertEqual(total, distinct, "\(total - distinct) duplicated rows after \(outcome.kills) kills, \(outcome.crashes) crashes, \(outcome.runs) runs", file: file, line: line)
        XCTAssertEqual(inRange, total, "every row is an input event", file: file, line: line)
        XCTAssertEqual(try client.strings("SELECT gid FROM pg_prepared_xacts"), [], "no prepared transaction is left", file: file, line: line)
    }

    func testFiftyRandomKillsLoseAndDuplicateNothing() throws {
        var harness = try harness(events: 400_000, parallelism: 2)
        harness.randomKills = 50
        harness.seed = 55
        let outcome = try harness.run()
        XCTAssertEqual(outcome.kills, 50)
        try assertExactlyOnce(400_000, outcome)
    }

    /// The job kills itself at one protocol step (from checkpoint 3 on), is resumed, and must
    /// still write every row exactly once.
    func testEveryInjectedCrashPoint() throws {
        for point in ["before-precommit", "after-precommit", "before-commit", "mid-commit"] {
            try? FileManager.default.removeItem(atPath: root + "/checkpoints")
            try client.execute("TRUNCATE \(table)")
            var harness = try harness(events: 40_000, parallelism: 2)
            harness.extraArguments = { run in run == 0 ? ["--crash-at", point, "--crash-checkpoint", "3"] : [] }
            let outcome = try harness.run()
            XCTAssertEqual(outcome.crashes, 1, "\(point): the job crashed at the step once")
            try assertExactlyOnce(40_000, outcome)
        }
    }

    /// Crashes after a pre-commit, then again while restoring, before the restored
    /// transactions are committed.
    func testCrashDuringRestore() throws {
        var harness = try harness(events: 40_000, parallelism: 2)
        harness.extraArguments = { run in
            switch run {
            case 0: return ["--crash-at", "after-precommit", "--crash-checkpoint", "3"]
            case 1: return ["--crash-at", "before-recovery", "--crash-checkpoint", "0"]
            default: return []
            }
        }
        let outcome = try harness.run()
        XCTAssertEqual(outcome.crashes, 2)
        try assertExactlyOnce(40_000, outcome)
    }
}
