import Logging
import Weir

/// Writes rows into a PostgreSQL table exactly once, with PostgreSQL's own two-phase commit.
///
/// Each sink subtask writes the rows of one checkpoint interval inside one database
/// transaction (batched multi-row `INSERT`s with bound parameters). At the checkpoint's barrier
/// it records the transaction's id in the commits table (`weir_commits`) and runs
/// `PREPARE TRANSACTION` — durable, invisible, and no longer tied to the connection. When the
/// checkpoint completes, `COMMIT PREPARED` makes it visible. After a crash the restored
/// checkpoint's prepared transactions are committed, and prepared transactions of this job's
/// sink that no checkpoint knows are rolled back.
///
/// A prepared id the server no longer knows was either committed or rolled back; the row in
/// the commits table, committed atomically with the data, tells which. If it is absent, the
/// data is lost (for example, an administrator rolled it back) and the job fails loudly.
///
/// The server needs `max_prepared_transactions` of at least twice the sink's parallelism (the
/// default, 0, disables two-phase commit; the sink says so when it starts). The target table
/// must exist; the commits table is created if it does not. From `Examples/ClicksIntoPostgres`,
/// with `CREATE TABLE click_counts (user_name text, window_start bigint, clicks bigint,
/// PRIMARY KEY (user_name, window_start))`:
///
/// ```swift
/// let sink = PostgresSink<ClickCount>(endpoint: try PostgresEndpoint(url: url),
///                                     table: "click_counts", columns: ["user_name", "window_start", "clicks"],
///                                     mode: .upsert(keyColumns: ["user_name", "window_start"])) {
///     [.text($0.user), .int($0.windowStart), .int(Int64($0.clicks))]
/// }
/// perMinute.sink(sink, name: "Postgres")
/// ```
public struct PostgresSink<Input: Sendable>: TwoPhaseCommitSink {
    /// The server and the role.
    public let endpoint: PostgresEndpoint
    /// The target table, optionally schema-qualified (`schema.table`).
    public let table: String
    /// The columns each row fills, in order.
    public let columns: [String]
    /// Whether rows are appended or upserted.
    public let mode: PostgresWriteMode
    /// The column values of one record, in the order of `columns`.
    public let row: @Sendable (Input) -> [PostgresValue]
    /// Rows per `INSERT`. Default 1,000 (at most 65,535 parameters per statement).
    public var batchSize = 1_000
    /// Where committed transaction ids are recorded. Default `weir_commits`.
    public var commitsTable = "weir_commits"
    /// The name transaction ids carry for the sink; default: the sink operator's name. Two
    /// sinks of one job writing to one database need different names.
    public var name: String?
    /// Receives PostgresNIO's log; by default nothing is logged (errors are thrown).
    public var logger = Logger(label: "weir.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A sink that writes `row(value)` into `columns` of `table`.
    public init(endpoint: PostgresEndpoint, table: String, columns: [String], mode: PostgresWriteMode = .append,
                row: @escaping @Sendable (Input) -> [PostgresValue]) {
        self.endpoint = endpoint
        self.table = table
        self.columns = columns
        self.mode = mode
        self.row = row
    }

    /// Upserts replace what a replay commits again (the output stays exact when an older
    /// checkpoint is restored); appended rows would appear twice.
    public var replay: SinkReplay {
        if case .upsert = mode { return .replaces }
        return .duplicates
    }

    /// One subtask's transaction of one checkpoint interval.
    public struct Transaction: Codable, Sendable, Hashable {
        /// The global transaction id (`weir:<job>:<sink>:<subtask>:<checkpoint>`).
        public var gid: String
        /// The checkpoint whose barrier prepares the transaction.
        public var checkpointID: Int64
        /// Rows written; a transaction without rows is never opened nor prepared.
        public var rows: Int
    }

    /// The writer of one subtask.
    public func makeWriter(_ context: SinkContext) throws -> PostgresSinkWriter<Input> {
        try PostgresSinkWriter(sink: self, context: context)
    }
}
