import Foundation
import Logging
import PostgresNIO
import XCTest
import WeirTestSupport
@testable import WeirPostgres

extension PostgresTestServer {
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
