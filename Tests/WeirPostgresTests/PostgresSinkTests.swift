import Foundation
import Synchronization
import XCTest
@testable import Weir
@testable import WeirPostgres
import WeirReferenceJobs
import WeirTestSupport

/// The PostgreSQL sink against a real server: the protocol steps one by one, upserts, errors
/// a user can act on, and connection loss at the moments that matter.
final class PostgresSinkTests: XCTestCase {
    private var client: PostgresTestClient!
    private var endpoint: PostgresEndpoint!
    private var table = ""
    private var directory = ""

    override func setUpWithError() throws {
        endpoint = try PostgresTestServer.endpoint()
        client = PostgresTestClient(endpoint)
        table = PostgresTestClient.uniqueTable("sink_test")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-postgres-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
        try client?.rollBackAllPrepared()
        try client?.execute("DROP TABLE IF EXISTS \(table)")
        client = nil
    }

    private func eventSink(_ mode: PostgresWriteMode = .append) -> PostgresSink<Int64> {
        var sink = PostgresSink<Int64>(endpoint: endpoint, table: table, columns: ["id", "key"], mode: mode) { [.int($0), .int($0 % 10)] }
        sink.batchSize = 100
        return sink
    }

    private func context(job: String, subtask: Int = 0, parallelism: Int = 1) -> SinkContext {
        SinkContext(subtask: subtask, parallelism: parallelism, operatorName: "Postgres", jobName: job)
    }

    /// A writer as the sink operator starts it in a fresh job: what earlier runs of the job
    /// left is rolled back and forgotten.
    private func started<Input>(_ sink: PostgresSink<Input>, job: String) throws -> PostgresSinkWriter<Input> {
        let writer = try sink.makeWriter(context(job: job))
        try writer.abortLingeringTransactions(known: [], parallelism: 1)
        return writer
    }

    // MARK: - Protocol steps

    func testRowsAreInvisibleUntilCommitAndCommitIsIdempotent() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        let writer = try started(eventSink(), job: "steps")
        defer { writer.close() }
        var transaction = try writer.beginTransaction(checkpointID: 1)
        for id in 0..<250 as Range<Int64> { try writer.write(id, timestamp: 0, to: &transaction) }
        XCTAssertEqual(transaction.rows, 200, "two full batches were sent, 50 rows are buffered")
        try writer.preCommit(&transaction)
        XCTAssertEqual(transaction.rows, 250)
        XCTAssertEqual(transaction.gid, "weir:steps:Postgres:0:1")
        XCTAssertEqual(try client.strings("SELECT gid FROM pg_prepared_xacts"), ["weir:steps:Postgres:0:1"])
        XCTAssertEqual(try client.integer("SELECT count(*) FROM \(table)"), 0, "prepared rows are invisible")

        try writer.commit(transaction)
        XCTAssertEqual(try client.integer("SELECT count(*) FROM \(table)"), 250)
        XCTAssertEqual(try client.strings("SELECT gid FROM pg_prepared_xacts"), [])
        try writer.commit(transaction)
        try writer.recoverAndCommit(transaction)
        XCTAssertEqual(try client.integer("SELECT count(*) FROM \(table)"), 250, "committing again changes nothing")
    }

    func testTransactionRolledBackOutsideWeirIsReportedLost() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        let writer = try started(eventSink(), job: "lost")
        defer { writer.close() }
        var transaction = try writer.beginTransaction(checkpointID: 7)
        try writer.write(1, timestamp: 0, to: &transaction)
        try writer.preCommit(&transaction)
        try client.execute("ROLLBACK PREPARED '\(transaction.gid)'")
        XCTAssertThrowsError(try writer.commit(transaction)) { error in
            guard case TwoPhaseCommitError.lostTransaction(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains(transaction.gid), message)
        }
    }

    /// A transaction rolled back behind Weir's back in a running job: the job fails at once,
    /// naming the transaction, and is not restarted (a restart cannot bring the rows back).
    func testLostTransactionFailsTheJobWithoutRestarts() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        let endpoint = self.endpoint!
        var options = TwoPhaseCommitOptions()
        options.stepObserver = { step in
            guard case .afterPreCommit(let checkpoint) = step, checkpoint == 2 else { return }
            let saboteur = PostgresTestClient(endpoint)
            for gid in (try? saboteur.strings("SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'weir:sabotaged:%:2'")) ?? [] {
                try? saboteur.execute("ROLLBACK PREPARED '\(gid)'")
            }
        }
        let warnings = Warnings()
        let env = StreamEnvironment(parallelism: 1)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .milliseconds(50))
        env.restartStrategy = .fixedDelay(attempts: 5, delay: .milliseconds(10))
        env.warningHandler = { warnings.add($0) }
        env.addSource(GeneratorSource(count: 20_000, ratePerSecond: 20_000) { StreamRecord($0) }, name: "Generator")
            .map { $0 }
            .sink(eventSink(), name: "Postgres", options: options)
        XCTAssertThrowsError(try env.execute("sabotaged")) { error in
            guard let failure = error as? OperatorFailure, case TwoPhaseCommitError.lostTransaction(let message) = failure.underlying else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(message.contains("weir:sabotaged:Postgres:0:2"), message)
        }
        XCTAssertFalse(warnings.all.contains { $0.contains("restart") }, "\(warnings.all)")
    }

    /// The commits table keeps a row only while a retained checkpoint names its transaction:
    /// the sink's transaction lifecycle releases the rest, and the writer deletes their rows.
    func testCommitRowsAreForgottenOnceNoRetainedCheckpointNamesThem() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        let job = "forgetting-\(UUID().uuidString.prefix(8))"
        let env = StreamEnvironment(parallelism: 2)
        var checkpoints = CheckpointConfiguration(directory: directory, interval: .milliseconds(40))
        checkpoints.retainedCheckpoints = 2
        env.checkpointing = checkpoints
        env.addSource(GeneratorSource(count: 20_000, ratePerSecond: 20_000) { StreamRecord($0) }, name: "Generator")
            .map { $0 }
            .sink(eventSink(), name: "Postgres")
        let result = try env.execute(job)
        XCTAssertEqual(try client.integer("SELECT count(*) FROM \(table)"), 20_000)
        let committed = result.checkpoints.count
        XCTAssertGreaterThan(committed, 10, "enough checkpoints to tell retained rows from all rows")
        let rows = try client.integer("SELECT count(*) FROM weir_commits WHERE job = '\(job)'")
        // Per subtask: the transactions the last retained checkpoints name (and, at most, the
        // one whose release the end of the job cut short) — not one row per checkpoint.
        XCTAssertGreaterThan(rows, 0)
        XCTAssertLessThanOrEqual(rows, Int64(2 * (checkpoints.retainedCheckpoints + 1)), "\(rows) rows after \(committed) checkpoints")
    }

    func testAbortDiscardsOpenAndPreparedTransactions() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        let writer = try started(eventSink(), job: "abort")
        defer { writer.close() }
        var first = try writer.beginTransaction(checkpointID: 1)
        for id in 0..<150 as Range<Int64> { try writer.write(id, timestamp: 0, to: &first) }
        try writer.preCommit(&first)
        var open = try writer.beginTransaction(checkpointID: 2)
        for id in 0..<150 as Range<Int64> { try writer.write(id, timestamp: 0, to: &open) }
        try writer.abort(open)
        try writer.abort(first)
        try writer.abort(first)
        XCTAssertEqual(try client.strings("SELECT gid FROM pg_prepared_xacts"), [])
        // The session is usable for the next transaction.
        var next = try writer.beginTransaction(checkpointID: 3)
        try writer.write(42, timestamp: 0, to: &next)
        try writer.preCommit(&next)
        try writer.commit(next)
        XCTAssertEqual(try client.integers("SELECT id FROM \(table)"), [42])
    }

    func testEmptyTransactionPreparesNothing() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        let writer = try started(eventSink(), job: "empty")
        defer { writer.close() }
        var transaction = try writer.beginTransaction(checkpointID: 1)
        try writer.preCommit(&transaction)
        XCTAssertEqual(try client.strings("SELECT gid FROM pg_prepared_xacts"), [])
        try writer.commit(transaction)
    }

    func testLingeringTransactionsOfThisSinkAreRolledBackOnStart() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        // What a crashed run of the job left: a prepared transaction of subtask 1 (of 2) no
        // checkpoint knows, one the restored checkpoint knows, and one of another job.
        for (gid, id) in [("weir:linger:Postgres:1:9", 1), ("weir:linger:Postgres:0:8", 2), ("weir:other-job:Postgres:1:9", 3)] {
            try client.execute("BEGIN")
            try client.execute("INSERT INTO \(table) VALUES (\(id), 0)")
            try client.execute("PREPARE TRANSACTION '\(gid)'")
        }
        defer { _ = try? client.execute("ROLLBACK PREPARED 'weir:other-job:Postgres:1:9'") }
        let known = PostgresSink<Int64>.Transaction(gid: "weir:linger:Postgres:0:8", checkpointID: 8, rows: 1)
        // Restarted at parallelism 1: subtask 0 owns what subtask 1 left.
        let writer = try eventSink().makeWriter(context(job: "linger"))
        defer { writer.close() }
        try writer.abortLingeringTransactions(known: [known], parallelism: 1)
        XCTAssertEqual(try client.strings("SELECT gid FROM pg_prepared_xacts ORDER BY gid"), ["weir:linger:Postgres:0:8", "weir:other-job:Postgres:1:9"])
        try writer.recoverAndCommit(known)
        XCTAssertEqual(try client.integers("SELECT id FROM \(table)"), [2])
    }

    // MARK: - Modes and values

    func testUpsertKeepsTheLatestValuePerKey() throws {
        try client.execute("CREATE TABLE \(table) (key bigint PRIMARY KEY, total bigint NOT NULL)")
        let keys = 37
        let events = 20_000
        var sink = PostgresSink<ReferenceEvent>(endpoint: endpoint, table: table, columns: ["key", "total"], mode: .upsert(keyColumns: ["key"])) {
            [.int(Int64($0.key)), .int($0.value)]
        }
        sink.batchSize = 500
        let env = StreamEnvironment(parallelism: 2)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .milliseconds(50))
        env.addSource(GeneratorSource(count: Int64(events), ratePerSecond: 40_000) { StreamRecord(ReferenceEvent(key: Int($0) % keys, value: 1)) }, name: "Generator")
            .keyBy { $0.key }
            .reduce { ReferenceEvent(key: $0.key, value: $0.value + $1.value) }
            .sink(sink, name: "Postgres")
        let result = try env.execute("upsert-test")
        XCTAssertGreaterThan(result.checkpoints.count, 2)
        let rows = try client.integers("SELECT key * 1000000 + total FROM \(table) ORDER BY key")
        let expected = (0..<keys).map { key in Int64(key) * 1_000_000 + Int64((0..<events).filter { $0 % keys == key }.count) }
        XCTAssertEqual(rows, expected, "one row per key holding its final count")
    }

    func testValuesAreBoundNotSplicedIntoSQL() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, name text, ratio double precision, flag boolean, at timestamptz)")
        let hostile = "Robert'); DROP TABLE \(table); --"
        let sink = PostgresSink<String>(endpoint: endpoint, table: table, columns: ["id", "name", "ratio", "flag", "at"]) { name in
            [.int(1), .text(name), .double(0.5), .bool(true), .timestamp(Date(timeIntervalSince1970: 86_400))]
        }
        let writer = try started(sink, job: "binding")
        defer { writer.close() }
        var transaction = try writer.beginTransaction(checkpointID: 1)
        try writer.write(hostile, timestamp: 0, to: &transaction)
        try writer.preCommit(&transaction)
        try writer.commit(transaction)
        XCTAssertEqual(try client.strings("SELECT name FROM \(table)"), [hostile])
        XCTAssertEqual(try client.strings("SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ' ' || ratio || ' ' || flag FROM \(table)"), ["1970-01-02 0.5 true"])
    }

    // MARK: - Errors a user can act on

    func testServerWithoutPreparedTransactionsGivesAdvice() throws {
        let disabled = try PostgresTestServer.endpoint("WEIR_POSTGRES_NO_PREPARED_URL")
        let sink = PostgresSink<Int64>(endpoint: disabled, table: "anything", columns: ["id"]) { [.int($0)] }
        XCTAssertThrowsError(try sink.makeWriter(context(job: "disabled"))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("max_prepared_transactions = 0"), message)
            XCTAssertTrue(message.contains("ALTER SYSTEM SET max_prepared_transactions"), message)
        }
    }

    /// A statement stuck behind a lock fails after the statement timeout instead of hanging
    /// the task (which could then not even be cancelled).
    func testStatementStuckBehindALockTimesOut() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        var endpoint = self.endpoint!
        endpoint.statementTimeout = .milliseconds(300)
        var sink = PostgresSink<Int64>(endpoint: endpoint, table: table, columns: ["id", "key"]) { [.int($0), .int($0 % 10)] }
        sink.batchSize = 10
        let writer = try started(sink, job: "stuck")
        defer { writer.close() }
        try client.execute("BEGIN")
        try client.execute("LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE")
        defer { _ = try? client.execute("ROLLBACK") }
        var transaction = try writer.beginTransaction(checkpointID: 1)
        let started = ProcessingClock.monotonicNanoseconds()
        XCTAssertThrowsError(try (0..<10 as Range<Int64>).forEach { try writer.write($0, timestamp: 0, to: &transaction) }) { error in
            XCTAssertTrue("\(error)".contains("statement timeout"), "\(error)")
        }
        XCTAssertLessThan(ProcessingClock.monotonicNanoseconds() - started, 30_000_000_000, "it did not hang")
        XCTAssertThrowsError(try writer.preCommit(&transaction), "a transaction with a failed statement is never prepared")
        try writer.abort(transaction)
    }

    /// A server that stops replying (here its backend is stopped with SIGSTOP, as a network
    /// partition would look) costs the reply timeout, not a task hung for good.
    func testServerThatStopsReplyingIsGivenUpAfterTheReplyTimeout() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        var endpoint = self.endpoint!
        endpoint.replyTimeout = .seconds(1)
        var sink = PostgresSink<Int64>(endpoint: endpoint, table: table, columns: ["id", "key"]) { [.int($0), .int($0 % 10)] }
        sink.batchSize = 10
        let writer = try started(sink, job: "silent")
        defer { writer.close() }
        var transaction = try writer.beginTransaction(checkpointID: 1)
        for id in 0..<10 as Range<Int64> { try writer.write(id, timestamp: 0, to: &transaction) }
        let backends = try client.integers("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'weir-%'")
        XCTAssertFalse(backends.isEmpty)
        for pid in backends { kill(pid_t(pid), SIGSTOP) }
        defer { for pid in backends { kill(pid_t(pid), SIGCONT) } }
        let started = ProcessingClock.monotonicNanoseconds()
        XCTAssertThrowsError(try (10..<20 as Range<Int64>).forEach { try writer.write($0, timestamp: 0, to: &transaction) }) { error in
            XCTAssertTrue("\(error)".contains("no reply from"), "\(error)")
        }
        let waited = ProcessingClock.monotonicNanoseconds() - started
        XCTAssertGreaterThanOrEqual(waited, 900_000_000, "it waited for the reply timeout")
        XCTAssertLessThan(waited, 20_000_000_000, "it did not hang")
        XCTAssertThrowsError(try writer.preCommit(&transaction), "a transaction whose connection was given up is never prepared")
    }

    func testMissingTableAndBadConfigurationAreExplained() throws {
        XCTAssertThrowsError(try eventSink().makeWriter(context(job: "missing"))) { error in
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        XCTAssertThrowsError(try eventSink(.upsert(keyColumns: ["nope"])).makeWriter(context(job: "bad"))) { error in
            XCTAssertTrue("\(error)".contains("'nope'"), "\(error)")
        }
        var unreachable = endpoint!
        unreachable.port = 1
        var sink = eventSink()
        sink = PostgresSink<Int64>(endpoint: unreachable, table: table, columns: ["id", "key"]) { [.int($0), .int($0)] }
        XCTAssertThrowsError(try sink.makeWriter(context(job: "unreachable"))) { error in
            XCTAssertTrue("\(error)".contains("cannot connect to 127.0.0.1:1"), "\(error)")
        }
        XCTAssertThrowsError(try PostgresEndpoint(url: "mysql://x@y/z"))
    }

    // MARK: - Connection loss

    /// Every connection of the sink is terminated right after a pre-commit (twice): the commit
    /// must reconnect and the next transaction open on a new connection, without a restart;
    /// the job ends exactly-once.
    func testConnectionKilledBetweenPreCommitAndCommit() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        let endpoint = self.endpoint!
        let terminated = SharedCount()
        var options = TwoPhaseCommitOptions()
        options.commitRetryDelay = .milliseconds(50)
        options.stepObserver = { step in
            guard case .afterPreCommit(let checkpoint) = step, checkpoint == 3 || checkpoint == 6 else { return }
            let killer = PostgresTestClient(endpoint)
            // Wait for the backends to exit: a backend still alive could take the next BEGIN
            // and die after it, with rows in the transaction (a restart, not what this tests).
            let count = (try? killer.terminateSinkConnections(waitUntilGone: true)) ?? 0
            terminated.add(count)
        }
        let warnings = Warnings()
        let events: Int64 = 30_000
        // Parallelism 1: at the pre-commit no other transaction is open, so nothing but the
        // commit and the next BEGIN meet the dead connections.
        let env = StreamEnvironment(parallelism: 1)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .milliseconds(50))
        env.restartStrategy = .fixedDelay(attempts: 10, delay: .milliseconds(50))
        env.warningHandler = { warnings.add($0) }
        env.addSource(GeneratorSource(count: events, ratePerSecond: 30_000) { StreamRecord($0) }, name: "Generator")
            .map { $0 }
            .sink(eventSink(), name: "Postgres", options: options)
        let result = try env.execute("terminate-between-precommit-and-commit")
        XCTAssertGreaterThan(terminated.value, 0, "connections were terminated")
        // The control and data sessions were open and were ended, twice.
        XCTAssertGreaterThanOrEqual(terminated.value, 4)
        XCTAssertEqual(result.restarts, 0, "a connection lost between transactions is replaced without failing the job: \(warnings.all)")
        try assertExactlyOnce(events)
    }

    /// The sink's connections are terminated again and again while the job writes: writes in
    /// the open transaction fail the job, which restarts from its checkpoint; commits retry.
    func testConnectionsKilledRepeatedlyWhileWriting() throws {
        try client.execute("CREATE TABLE \(table) (id bigint, key bigint)")
        let events: Int64 = 60_000
        let env = StreamEnvironment(parallelism: 2)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .milliseconds(100))
        env.restartStrategy = .fixedDelay(attempts: 100, delay: .milliseconds(20))
        env.warningHandler = { _ in }
        env.addSource(GeneratorSource(count: events, ratePerSecond: 20_000) { StreamRecord($0) }, name: "Generator")
            .keyBy { $0 % 10 }
            .map { $0 }
            .sink(eventSink(), name: "Postgres")
        let stop = SharedCount()
        let kills = SharedCount()
        let endpoint = self.endpoint!
        @Sendable func kill() {
            let client = PostgresTestClient(endpoint)
            while stop.value == 0 {
                usleep(400_000)
                if stop.value != 0 { break }
                if let count = try? client.terminateSinkConnections(), count > 0 { kills.add(1) }
            }
        }
        let finished = DispatchSemaphore(value: 0)
        let killer = Thread {
            defer { finished.signal() }
            kill()
        }
        killer.start()
        defer {
            stop.add(1)
            finished.wait()
        }
        let result = try env.execute("terminate-while-writing")
        XCTAssertGreaterThan(kills.value, 2)
        XCTAssertGreaterThan(result.restarts, 0, "a write on a terminated connection fails the job")
        try assertExactlyOnce(events)
    }

    private func assertExactlyOnce(_ events: Int64, file: StaticString = #filePath, line: UInt = #line) throws {
        let distinct = try client.integer("SELECT count(DISTINCT id) FROM \(table)")
        let total = try client.integer("SELECT count(*) FROM \(table)")
        let missing = try client.integers("SELECT g FROM generate_series(0, \(events - 1)) AS g WHERE NOT EXISTS (SELECT 1 FROM \(table) WHERE id = g) ORDER BY g LIMIT 20")
        XCTAssertEqual(distinct, events, "rows lost, the first: \(missing)", file: file, line: line)
        XCTAssertEqual(total, events, "rows duplicated", file: file, line: line)
        XCTAssertEqual(try client.strings("SELECT gid FROM pg_prepared_xacts"), [], "no prepared transaction is left", file: file, line: line)
    }
}

/// A count several threads add to.
final class SharedCount: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ amount: Int) { count.withLock { $0 += amount } }
}
