import ArgumentParser
import Foundation
import Logging
import NIOPosix
import PostgresNIO
import Weir
import WeirPostgres

/// Rows per second into PostgreSQL through Weir's exactly-once sink (checkpoints every second),
/// against plain auto-commit inserts of the same rows measured in the same run.
///
/// Needs a server with max_prepared_transactions > 0, e.g. one started with
/// `scripts/postgres-server.sh start /tmp/weir-bench-pg` (prints its URL).
@main
struct PostgresBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir-postgres-bench",
        abstract: "Rows per second into PostgreSQL: Weir's exactly-once sink against auto-commit inserts.")

    @Option(help: "The server: postgres://user@host:port/database (default: $WEIR_POSTGRES_URL).") var url: String?
    @Option(help: "Rows per measurement.") var rows: Int64 = 500_000
    @Option(help: "Parallelism of the Weir job and connections of the batched baseline.") var parallelism: Int = 2
    @Option(help: "Rows per INSERT (both the sink and the batched baseline).") var batch: Int = 1_000
    @Option(help: "Rounds; the median is reported.") var rounds: Int = 3
    @Option(help: "Rows of the one-row-per-statement baseline (it is slow).") var singleRows: Int64 = 20_000

    func run() throws {
        guard let url = url ?? ProcessInfo.processInfo.environment["WEIR_POSTGRES_URL"] else {
            throw ValidationError("give --url or set WEIR_POSTGRES_URL (scripts/postgres-server.sh start DIR prints one)")
        }
        let endpoint = try PostgresEndpoint(url: url)
        let admin = try BlockingConnection(endpoint)
        defer { admin.close() }
        try admin.execute("DROP TABLE IF EXISTS weir_bench")
        try admin.execute("CREATE TABLE weir_bench (id bigint NOT NULL, key bigint NOT NULL, value double precision NOT NULL)")
        defer { try? admin.execute("DROP TABLE IF EXISTS weir_bench") }

        print("rows per round: \(rows), parallelism \(parallelism), \(batch) rows per INSERT, \(rounds) rounds (median)")
        var exactlyOnce: [Double] = []
        var batched: [Double] = []
        for round in 1...rounds {
            try admin.execute("TRUNCATE weir_bench")
            let baseline = try measureBatchedAutoCommit(endpoint)
            try check(admin, expected: rows)
            try admin.execute("TRUNCATE weir_bench")
            let weir = try measureExactlyOnceSink(endpoint)
            try check(admin, expected: rows)
            batched.append(baseline)
            exactlyOnce.append(weir)
            print("round \(round): auto-commit batched \(Int(baseline)) rows/s, Weir exactly-once \(Int(weir)) rows/s, ratio \(String(format: "%.2f", weir / baseline))")
        }
        try admin.execute("TRUNCATE weir_bench")
        let single = try measureSingleRowAutoCommit(endpoint)
        try check(admin, expected: singleRows)
        let ratio = median(zip(exactlyOnce, batched).map { $0 / $1 })
        print("""

        | variant | rows/s (median) | vs. auto-commit batched |
        |---|---:|---:|
        | auto-commit, \(batch)-row INSERTs on \(parallelism) connections (baseline) | \(Int(median(batched))) | 1.00 |
        | Weir PostgresSink, exactly-once, checkpoint every 1 s, parallelism \(parallelism) | \(Int(median(exactlyOnce))) | \(String(format: "%.2f", ratio)) |
        | auto-commit, one row per INSERT, 1 connection | \(Int(single)) | \(String(format: "%.2f", single / median(batched))) |
        """)
    }

    /// The ceiling: the same rows in `batch`-row INSERTs, each its own transaction, from
    /// `parallelism` threads with a connection each; no engine.
    private func measureBatchedAutoCommit(_ endpoint: PostgresEndpoint) throws -> Double {
        let connections = try (0..<parallelism).map { _ in try BlockingConnection(endpoint) }
        defer { connections.forEach { $0.close() } }
        let started = ProcessingClock.monotonicNanoseconds()
        let failures = FailureBox()
        let group = DispatchGroup()
        for (worker, connection) in connections.enumerated() {
            group.enter()
            let count = rows, batch = batch, parallelism = parallelism
            Thread {
                defer { group.leave() }
                do {
                    var id = Int64(worker)
                    while id < count {
                        var ids: [Int64] = []
                        while id < count && ids.count < batch { ids.append(id); id += Int64(parallelism) }
                        try connection.insert(ids)
                    }
                } catch { failures.record(error) }
            }.start()
        }
        group.wait()
        try failures.rethrow()
        return Double(rows) / (Double(ProcessingClock.monotonicNanoseconds() - started) / 1e9)
    }

    private func measureSingleRowAutoCommit(_ endpoint: PostgresEndpoint) throws -> Double {
        let connection = try BlockingConnection(endpoint)
        defer { connection.close() }
        let started = ProcessingClock.monotonicNanoseconds()
        for id in 0..<singleRows { try connection.insert([id]) }
        return Double(singleRows) / (Double(ProcessingClock.monotonicNanoseconds() - started) / 1e9)
    }

    /// The engine's way: a generator, keyed by `id % 100`, into the exactly-once sink.
    private func measureExactlyOnceSink(_ endpoint: PostgresEndpoint) throws -> Double {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-postgres-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var sink = PostgresSink<Int64>(endpoint: endpoint, table: "weir_bench", columns: ["id", "key", "value"]) { id in
            [.int(id), .int(id % 100), .double(Double(id) * 0.5)]
        }
        sink.batchSize = batch
        let env = StreamEnvironment(parallelism: parallelism)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .seconds(1))
        env.addSource(GeneratorSource(count: rows) { StreamRecord($0) }, name: "Generator")
            .keyBy { $0 % 100 }
            .map(name: "Identity") { $0 }
            .sink(sink, name: "Postgres")
        let result = try env.execute("postgres benchmark")
        return Double(rows) / result.durationSeconds
    }

    private func check(_ admin: BlockingConnection, expected: Int64) throws {
        let (count, distinct) = try admin.counts()
        guard count == expected, distinct == expected else {
            throw ValidationError("the table holds \(count) rows (\(distinct) distinct ids), expected \(expected)")
        }
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}

/// A PostgresNIO connection used synchronously by the baselines (no Weir code on their path).
final class BlockingConnection: @unchecked Sendable {
    private let connection: PostgresConnection
    private let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

    init(_ endpoint: PostgresEndpoint) throws {
        let configuration = PostgresConnection.Configuration(host: endpoint.host, port: endpoint.port, username: endpoint.username,
                                                             password: endpoint.password, database: endpoint.database, tls: .disable)
        connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: logger).wait()
    }

    func execute(_ sql: String) throws {
        _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait()
    }

    /// One multi-row INSERT of `(id, id % 100, id * 0.5)` rows, in auto-commit.
    func insert(_ ids: [Int64]) throws {
        var binds = PostgresBindings(capacity: ids.count * 3)
        var sql = "INSERT INTO weir_bench (id, key, value) VALUES "
        for (index, id) in ids.enumerated() {
            sql += index == 0 ? "" : ", "
            sql += "($\(index * 3 + 1), $\(index * 3 + 2), $\(index * 3 + 3))"
            binds.append(id)
            binds.append(id % 100)
            binds.append(Double(id) * 0.5)
        }
        _ = try connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).wait()
    }

    func counts() throws -> (Int64, Int64) {
        let rows = try connection.query("SELECT count(*), count(DISTINCT id) FROM weir_bench", logger: logger).wait().rows
        return try rows[0].decode((Int64, Int64).self)
    }

    func close() { try? connection.close().wait() }
}

final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?
    func record(_ error: any Error) { lock.withLock { self.error = self.error ?? error } }
    func rethrow() throws { if let error = lock.withLock({ error }) { throw error } }
}
