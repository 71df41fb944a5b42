import Foundation
import Logging
import PostgresNIO
import Weir

/// One subtask's writer of a ``PostgresSink``: a data session that holds the open transaction
/// and a control session for what must run outside it (`COMMIT PREPARED` and `ROLLBACK
/// PREPARED` cannot run inside a transaction block, and a commit arrives while the next
/// transaction is open).
///
/// Connection loss: statements outside the open transaction (opening it, committing, rolling
/// back prepared ones, bookkeeping) reconnect and are retried — by this writer or by the sink
/// operator's commit retries; a commit is idempotent. Losing the connection while rows are
/// in the open transaction, or while preparing it, fails the job: the server has rolled the
/// transaction back (or, if it was prepared, the restarted job rolls it back as unknown) and
/// the rows are replayed from the last checkpoint.
public final class PostgresSinkWriter<Input: Sendable>: TwoPhaseCommitWriter {
    /// One checkpoint interval's transaction.
    public typealias Transaction = PostgresSink<Input>.Transaction

    private let sink: PostgresSink<Input>
    private let subtask: Int
    private let jobName: String
    private let sinkName: String
    private let prefix: String
    private var statements: PostgresStatements
    private let data: PostgresSession
    private let control: PostgresSession
    /// Buffered rows, flattened: `columns.count` values per row.
    private var buffer: [PostgresValue] = []
    private var bufferedRows = 0
    /// Upsert mode: the buffered row of each key (only the last row of a key is sent).
    private var bufferedKeys: [[PostgresValue]: Int] = [:]
    private let keyPositions: [Int]
    /// The transaction the data session has open (`BEGIN` sent), if any.
    private var openGID: String?
    private var inTransaction = false
    /// The open transaction lost its connection: the server rolled back what it held, so it
    /// must never be prepared; only `abort` clears this.
    private var lostGID: String?
    init(sink: PostgresSink<Input>, context: SinkContext) throws {
        self.sink = sink
        self.subtask = context.subtask
        self.jobName = context.jobName
        self.sinkName = sink.name ?? context.operatorName
        self.prefix = PreparedTransactionID.prefix(job: jobName, sink: sinkName)
        guard sink.batchSize > 0, sink.batchSize * sink.columns.count <= Int(UInt16.max) else {
            throw PostgresSinkError.invalidConfiguration("batchSize \(sink.batchSize) × \(sink.columns.count) columns exceeds the 65,535 parameters of one statement")
        }
        self.statements = try PostgresStatements(table: sink.table, columns: sink.columns, mode: sink.mode, commitsTable: sink.commitsTable)
        if case .upsert(let keys) = sink.mode {
            keyPositions = keys.compactMap { sink.columns.firstIndex(of: $0) }
        } else {
            keyPositions = []
        }
        let sessionName = PreparedTransactionID.sessionName(prefix: prefix, subtask: subtask)
        data = PostgresSession(endpoint: sink.endpoint, applicationName: sessionName, logger: sink.logger)
        control = PostgresSession(endpoint: sink.endpoint, applicationName: sessionName, logger: sink.logger)
        buffer.reserveCapacity(sink.batchSize * sink.columns.count)
        do {
            try checkServer()
        } catch {
            close()
            throw error
        }
    }

    /// Fails early, with advice, when the server cannot do what the sink needs.
    private func checkServer() throws {
        let setting = try control.run("SHOW max_prepared_transactions", describedAs: "SHOW max_prepared_transactions")
        let maxPrepared = try setting.first.map { try $0.decode(String.self) }.flatMap { Int($0) } ?? 0
        if maxPrepared == 0 { throw PostgresSinkError.preparedTransactionsDisabled(server: sink.endpoint.description) }
        let exists = try control.run("SELECT to_regclass(\(statements.table))::text", describedAs: "looking up table \(sink.table)")
        if try exists.first?.decode(String?.self) == nil {
            throw PostgresSinkError.invalidConfiguration("table \(sink.table) does not exist in \(sink.endpoint); create it before starting the job")
        }
        // Subtasks start together: serialize the creation of the commits table.
        try control.run("BEGIN", describedAs: "BEGIN")
        do {
            try control.run("SELECT pg_advisory_xact_lock(hashtext(\(statements.commitsTable)))", describedAs: "locking the commits table's creation")
            try control.run(PostgresQuery(unsafeSQL: statements.createCommitsTable), describedAs: "creating \(sink.commitsTable)")
            try control.run("COMMIT", describedAs: "COMMIT")
        } catch {
            _ = try? control.run("ROLLBACK", describedAs: "ROLLBACK")
            throw error
        }
    }

    /// Names the transaction of the interval before checkpoint `checkpointID`; it opens with its first row.
    public func beginTransaction(checkpointID: Int64) throws -> Transaction {
        let gid = PreparedTransactionID(prefix: prefix, subtask: subtask, checkpointID: checkpointID).text
        openGID = gid
        return Transaction(gid: gid, checkpointID: checkpointID, rows: 0)
    }

    /// Adds the row of `value` to the batch, inserting a full batch.
    public func write(_ value: Input, timestamp: Int64, to transaction: inout Transaction) throws {
        try checkNotLost(transaction)
        let values = sink.row(value)
        guard values.count == sink.columns.count else {
            throw PostgresSinkError.invalidConfiguration("the row function returned \(values.count) values for the \(sink.columns.count) columns \(sink.columns)")
        }
        if !keyPositions.isEmpty {
            let key = keyPositions.map { values[$0] }
            if let row = bufferedKeys[key] {
                let start = row * values.count
                buffer.replaceSubrange(start..<start + values.count, with: values)
                return
            }
            bufferedKeys[key] = bufferedRows
        }
        buffer.append(contentsOf: values)
        bufferedRows += 1
        if bufferedRows >= sink.batchSize { try flush(&transaction) }
    }

    /// Inserts the last batch, records the transaction in the commits table and `PREPARE TRANSACTION`s it.
    public func preCommit(_ transaction: inout Transaction) throws {
        try checkNotLost(transaction)
        try flush(&transaction)
        guard inTransaction else { return }
        do {
            var binds = PostgresBindings(capacity: 5)
            binds.append(transaction.gid)
            binds.append(jobName)
            binds.append(sinkName)
            binds.append(subtask)
            binds.append(transaction.checkpointID)
            try data.run(PostgresQuery(unsafeSQL: statements.recordCommit, binds: binds), describedAs: "recording transaction \(transaction.gid) in \(sink.commitsTable)", mayReconnect: false)
            try data.run(PostgresQuery(unsafeSQL: PostgresStatements.prepare(transaction.gid)), describedAs: "PREPARE TRANSACTION '\(transaction.gid)'", mayReconnect: false)
        } catch {
            inTransaction = false
            lostGID = transaction.gid
            if case PostgresSinkError.statementFailed(_, SQLState.notInPrerequisiteState?, _) = error {
                throw PostgresSinkError.preparedTransactionsDisabled(server: sink.endpoint.description)
            }
            throw lostIfBroken(error, during: "preparing transaction \(transaction.gid)")
        }
        inTransaction = false
        openGID = nil
    }

    /// `COMMIT PREPARED`. One committed before (its row is in the commits table) is fine; one
    /// rolled back outside Weir fails with `TwoPhaseCommitError.lostTransaction`.
    public func commit(_ transaction: Transaction) throws {
        guard transaction.rows > 0 else { return }
        do {
            try control.run(PostgresQuery(unsafeSQL: PostgresStatements.commitPrepared(transaction.gid)), describedAs: "COMMIT PREPARED '\(transaction.gid)'")
        } catch PostgresSinkError.statementFailed(_, SQLState.undefinedObject?, _) {
            // No longer prepared: committed before (then its row in the commits table exists),
            // or rolled back by someone else (then its rows are lost).
            var binds = PostgresBindings()
            binds.append(transaction.gid)
            let found = try control.run(PostgresQuery(unsafeSQL: statements.findCommit, binds: binds), describedAs: "looking up \(transaction.gid) in \(sink.commitsTable)")
            if found.isEmpty {
                throw TwoPhaseCommitError.lostTransaction("prepared transaction '\(transaction.gid)' (checkpoint \(transaction.checkpointID), \(transaction.rows) rows) is neither prepared on \(sink.endpoint) nor recorded as committed in \(sink.commitsTable): it was rolled back outside Weir and its rows are lost")
            }
        }
    }

    /// No restorable checkpoint names the transaction any more: its row in the commits table,
    /// which told a restored job that a missing prepared transaction was committed, can go.
    /// (Another subtask's transaction keeps its row: that subtask releases it.) Bookkeeping
    /// only: if the row cannot be deleted now, the next start of the job deletes it with every
    /// row no restored checkpoint names, so a failure is logged and the job goes on.
    public func releaseTransaction(_ transaction: Transaction, endedHere: Bool) {
        guard endedHere, transaction.rows > 0 else { return }
        var binds = PostgresBindings()
        binds.append(transaction.gid)
        do {
            try control.run(PostgresQuery(unsafeSQL: statements.forgetCommit, binds: binds), describedAs: "forgetting \(transaction.gid) in \(sink.commitsTable)")
        } catch {
            sink.logger.warning("could not forget committed transaction \(transaction.gid) in \(sink.commitsTable) (the next start of the job does): \(error)")
        }
    }

    /// `ROLLBACK PREPARED`, or a rollback of the open transaction.
    public func abort(_ transaction: Transaction) throws {
        if lostGID == transaction.gid { lostGID = nil }
        if transaction.gid == openGID {
            clearBuffer()
            openGID = nil
            guard inTransaction else { return }
            inTransaction = false
            do {
                try data.run("ROLLBACK", describedAs: "ROLLBACK", mayReconnect: false)
            } catch where PostgresSession.isBroken(error) {
                // The server rolls back the transaction of a lost connection.
            }
            return
        }
        guard transaction.rows > 0 else { return }
        try rollbackPrepared(transaction.gid)
    }

    /// The transaction that was open when the restored checkpoint was taken may have been
    /// prepared afterwards (it was empty then, or not): roll it back by its id either way.
    public func recoverAndAbort(_ transaction: Transaction) throws {
        try endSessionsOfEarlierRuns()
        try rollbackPrepared(transaction.gid)
    }

    /// Rolls back the prepared transactions of this job's sink that no restored checkpoint names.
    public func abortLingeringTransactions(known: [Transaction], parallelism: Int) throws {
        try endSessionsOfEarlierRuns(parallelism: parallelism)
        let knownGIDs = Set(known.map(\.gid))
        var binds = PostgresBindings()
        binds.append(prefix)
        let lingering = try control.run(PostgresQuery(unsafeSQL: "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND left(gid, length($1)) = $1", binds: binds),
                                        describedAs: "listing prepared transactions")
        for row in lingering {
            let gid = try row.decode(String.self)
            // Each subtask owns the subtask numbers congruent to its own, so that leftovers of
            // a run with a higher parallelism are rolled back too, each by exactly one subtask.
            guard let id = PreparedTransactionID(gid, prefix: prefix), id.subtask % parallelism == subtask, !knownGIDs.contains(gid) else { continue }
            try rollbackPrepared(gid)
        }
        var forget = PostgresBindings(capacity: 5)
        forget.append(jobName)
        forget.append(sinkName)
        forget.append(parallelism)
        forget.append(subtask)
        forget.append(Array(knownGIDs))
        try control.run(PostgresQuery(unsafeSQL: statements.forgetUnknownCommits, binds: forget), describedAs: "forgetting rows of \(sink.commitsTable) no checkpoint knows")
    }

    /// Closes the connection.
    public func close() {
        data.close()
        control.close()
    }

    // MARK: - Data session

    private func flush(_ transaction: inout Transaction) throws {
        guard bufferedRows > 0 else { return }
        if !inTransaction { try begin() }
        var binds = PostgresBindings(capacity: buffer.count)
        for value in buffer { value.bind(to: &binds) }
        let text = statements.insert(rows: bufferedRows)
        do {
            try data.run(PostgresQuery(unsafeSQL: text, binds: binds), describedAs: "INSERT of \(bufferedRows) rows into \(sink.table)", mayReconnect: false)
        } catch {
            // Whatever failed, the server's transaction is rolled back or unusable.
            lostGID = transaction.gid
            throw lostIfBroken(error, during: "writing rows of transaction \(transaction.gid)")
        }
        transaction.rows += bufferedRows
        clearBuffer()
    }

    /// Opens the transaction; safe to retry on a new connection since nothing is in it yet
    /// (an idle connection may have been closed by the server since the last transaction).
    private func begin() throws {
        do {
            try data.run("BEGIN", describedAs: "BEGIN")
        } catch where PostgresSession.isBroken(error) {
            try data.run("BEGIN", describedAs: "BEGIN")
        }
        inTransaction = true
    }

    private func checkNotLost(_ transaction: Transaction) throws {
        guard lostGID == transaction.gid else { return }
        throw PostgresSinkError.connectionLost(server: sink.endpoint.description, during: "continuing transaction \(transaction.gid)",
                                               reason: "an earlier statement of it failed; it must be aborted and its records replayed")
    }

    private func clearBuffer() {
        buffer.removeAll(keepingCapacity: true)
        bufferedKeys.removeAll(keepingCapacity: true)
        bufferedRows = 0
    }

    private func lostIfBroken(_ error: any Error, during step: String) -> any Error {
        guard PostgresSession.isBroken(error) else { return error }
        inTransaction = false
        return PostgresSinkError.connectionLost(server: sink.endpoint.description, during: step, reason: "\(error)")
    }

    // MARK: - Control session

    /// Fencing: a session of a killed run can outlive its process (a backend waiting for a
    /// lock does not notice its client is gone) and still prepare a transaction after this run
    /// listed the prepared ones. So before looking, end the sessions of this sink's subtasks
    /// that this writer owns (congruent subtask numbers) and wait until they are gone.
    private func endSessionsOfEarlierRuns(parallelism: Int? = nil) throws {
        var binds = PostgresBindings(capacity: 3)
        binds.append(PreparedTransactionID.sessionNamePrefix(prefix))
        binds.append(parallelism ?? Int(Int32.max))
        binds.append(subtask)
        let owned = PostgresQuery(unsafeSQL: """
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND left(application_name, length($1)) = $1
              AND substr(application_name, length($1) + 1)::int % $2 = $3
            """, binds: binds)
        for attempt in 0..<300 {
            let pids = try control.run(owned, describedAs: "listing sessions of earlier runs").map { try $0.decode(Int32.self) }
            if pids.isEmpty { return }
            if attempt % 50 == 0 {
                var terminate = PostgresBindings()
                terminate.append(pids)
                try control.run(PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", binds: terminate),
                                describedAs: "ending sessions of earlier runs")
            }
            usleep(20_000)
        }
        throw PostgresSinkError.invalidConfiguration("sessions of an earlier run of this sink on \(sink.endpoint) did not end in 6 s after pg_terminate_backend; another job with the same job and sink name may be running")
    }

    private func rollbackPrepared(_ gid: String) throws {
        do {
            try control.run(PostgresQuery(unsafeSQL: PostgresStatements.rollbackPrepared(gid)), describedAs: "ROLLBACK PREPARED '\(gid)'")
        } catch PostgresSinkError.statementFailed(_, SQLState.undefinedObject?, _) {
            // Already gone.
        }
    }
}
