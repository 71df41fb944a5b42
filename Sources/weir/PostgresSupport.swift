import ArgumentParser
import Foundation
import Weir
import WeirReferenceJobs
#if Postgres
import WeirPostgres
#endif

/// The reference job's PostgreSQL side (`weir run --sink postgres`): window sums written through
/// the exactly-once PostgreSQL sink (`PREPARE TRANSACTION` at the barrier, `COMMIT PREPARED` when
/// the checkpoint completes), and read back for `weir verify`. Built only with the `Postgres`
/// trait, so that the default `weir` builds without postgres-nio.
enum PostgresSupport {
    #if Postgres
    static let isBuiltIn = true
    #else
    static let isBuiltIn = false
    #endif

    static let missing = ValidationError("this weir was built without PostgreSQL support: build it with --traits Postgres (swift run -c release --traits Postgres weir …)")

    /// Writes the window sums into `output.table` (created if missing: `key, window_start,
    /// window_end, sum, count`, with a primary key on `key, window_start` for upserts).
    static func write(_ sums: DataStream<WindowSum>, output: PostgresOutput, options: TwoPhaseCommitOptions) throws {
        #if Postgres
        let endpoint = try PostgresEndpoint(url: output.url)
        let upsert = output.mode == "upsert"
        try endpoint.integerRows("""
            CREATE TABLE IF NOT EXISTS \(output.table) (key bigint NOT NULL, window_start bigint NOT NULL, window_end bigint NOT NULL, \
            sum bigint NOT NULL, count bigint NOT NULL\(upsert ? ", PRIMARY KEY (key, window_start)" : ""))
            """)
        let sink = PostgresSink<WindowSum>(endpoint: endpoint, table: output.table, columns: ["key", "window_start", "window_end", "sum", "count"],
                                           mode: upsert ? .upsert(keyColumns: ["key", "window_start"]) : .append) { sum in
            [.int(Int64(sum.key)), .int(sum.windowStart), .int(sum.windowEnd), .int(sum.sum), .int(sum.count)]
        }
        sums.sink(sink, name: "Postgres", options: options)
        #else
        throw missing
        #endif
    }

    /// The committed window sums in the table.
    static func committedWindowSums(_ output: PostgresOutput) throws -> [WindowSum] {
        #if Postgres
        try PostgresEndpoint(url: output.url).integerRows("SELECT key, window_start, window_end, sum, count FROM \(output.table)").map { row in
            WindowSum(key: Int(row[0]!), windowStart: row[1]!, windowEnd: row[2]!, sum: row[3]!, count: row[4]!)
        }
        #else
        throw missing
        #endif
    }
}

/// Where a run with `--sink postgres` writes.
struct PostgresOutput: Codable, Equatable {
    var url: String
    var table: String
    /// `append` (every window sum a new row) or `upsert` (by key and window start).
    var mode: String
}
