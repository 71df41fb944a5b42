import Foundation
import Logging
import PostgresNIO
import XCTest
@testable import WeirPostgres

/// The PostgreSQL server the test command started (`scripts/test.sh` exports its URL in
/// `WEIR_POSTGRES_URL`, and a second one with `max_prepared_transactions = 0` in
/// `WEIR_POSTGRES_NO_PREPARED_URL`). Without them the PostgreSQL tests skip — unless
/// `WEIR_REQUIRE_POSTGRES=1` (set by the test command), where they fail.
enum PostgresTestServer {
    static func url(_ variable: String = "WEIR_POSTGRES_URL") throws -> String {
        if let url = ProcessInfo.processInfo.environment[variable], !url.isEmpty { return url }
        if ProcessInfo.processInfo.environment["WEIR_REQUIRE_POSTGRES"] == "1" {
            XCTFail("\(variable) is not set although WEIR_REQUIRE_POSTGRES=1")
        }
        throw XCTSkip("\(variable) is not set: run the tests with scripts/test.sh, which starts a PostgreSQL server")
    }

    static func endpoint(_ variable: String = "WEIR_POSTGRES_URL") throws -> PostgresEndpoint {
        try PostgresEndpoint(url: url(variable))
    }
}

/// A connection of the test's own, for setting up tables and checking results.
final class PostgresTestClient {
    private let session: PostgresSession

    init(_ endpoint: PostgresEndpoint) {
        session = PostgresSession(endpoint: endpoint, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    deinit { session.close() }

    func execute(_ sql: String) throws {
        try session.run(PostgresQuery(unsafeSQL: sql), describedAs: sql)
    }

    /// The first column of every row, as integers.
    func integers(_ sql: String) throws -> [Int64] {
        try session.run(PostgresQuery(unsafeSQL: sql), describedAs: sql).map { try $0.decode(Int64.self) }
    }

    func integer(_ sql: String) throws -> Int64 {
        try XCTUnwrap(integers(sql).first, sql)
    }

    func strings(_ sql: String) throws -> [String] {
        try session.run(PostgresQuery(unsafeSQL: sql), describedAs: sql).map { try $0.decode(String.self) }
    }

    /// Terminates the connections of every PostgreSQL sink (their application names start
    /// with `weir-`); returns how many. `pg_terminate_backend` only signals the backends:
    /// with `waitUntilGone` it returns once they have exited (or after 10 s).
    @discardableResult
    func terminateSinkConnections(waitUntilGone: Bool = false) throws -> Int {
        let sinkSessions = "FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'weir-%'"
        let pids = try integers("SELECT pid \(sinkSessions)")
        guard !pids.isEmpty else { return 0 }
        let list = pids.map(String.init).joined(separator: ",")
        let terminated = try integer("SELECT count(*) FROM unnest(ARRAY[\(list)]) AS pid WHERE pg_terminate_backend(pid)")
        if waitUntilGone {
            for _ in 0..<500 {
                if try integer("SELECT count(*) FROM pg_stat_activity WHERE pid IN (\(list))") == 0 { break }
                usleep(20_000)
            }
        }
        return Int(terminated)
    }

    /// Rolls back every prepared transaction of the (throwaway) test database, so that a
    /// failed test does not leave locks that block the next one.
    func rollBackAllPrepared() throws {
        for gid in try strings("SELECT gid FROM pg_prepared_xacts WHERE database = current_database()") {
            try execute("ROLLBACK PREPARED '\(gid.replacingOccurrences(of: "'", with: "''"))'")
        }
    }

    /// A table name no other test uses.
    static func uniqueTable(_ stem: String) -> String {
        "\(stem)_\(UInt32.random(in: .min ... .max))"
    }
}
