import Weir
import PostgresNIO

/// Why a ``PostgresSink`` failed, in words that say what to do.
public enum PostgresSinkError: PermanentFailure, CustomStringConvertible {
    /// The sink is configured in a way that cannot work.
    case invalidConfiguration(String)
    /// The server has `max_prepared_transactions = 0`, its default: no two-phase commit.
    case preparedTransactionsDisabled(server: String)
    /// The connection to the server broke while a step that cannot be retried on its own ran
    /// (writing into or preparing the open transaction): the job fails and restarts from its
    /// last checkpoint.
    case connectionLost(server: String, during: String, reason: String)
    /// The server refused a statement.
    case statementFailed(statement: String, sqlState: String?, message: String)

    /// What went wrong, and what to do.
    public var description: String {
        switch self {
        case .invalidConfiguration(let message):
            return "PostgreSQL sink: \(message)"
        case .preparedTransactionsDisabled(let server):
            return "PostgreSQL sink: the server \(server) has max_prepared_transactions = 0 (PostgreSQL's default), which disables PREPARE TRANSACTION, so the exactly-once sink cannot pre-commit. Set it to at least twice the sink's parallelism in postgresql.conf (or run ALTER SYSTEM SET max_prepared_transactions = 64;) and restart the server."
        case let .connectionLost(server, during, reason):
            return "PostgreSQL sink: lost the connection to \(server) while \(during) (\(reason)); the open transaction is gone and the job must restart from its last checkpoint"
        case let .statementFailed(statement, sqlState, message):
            return "PostgreSQL sink: \(statement) failed: \(message)\(sqlState.map { " (SQLSTATE \($0))" } ?? "")"
        }
    }
}

/// SQLSTATE codes the sink acts on.
enum SQLState {
    /// `undefined_object`: COMMIT/ROLLBACK PREPARED of an identifier the server does not know.
    static let undefinedObject = "42704"
    /// `object_not_in_prerequisite_state`: PREPARE TRANSACTION with max_prepared_transactions = 0.
    static let notInPrerequisiteState = "55000"
}

extension PostgresSinkError {
    /// A setting or a server configuration a restart would not change ends the job at once; a
    /// lost connection or a failed statement is restarted from the latest checkpoint.
    public var isPermanent: Bool {
        switch self {
        case .invalidConfiguration, .preparedTransactionsDisabled: return true
        case .connectionLost, .statementFailed: return false
        }
    }
}
