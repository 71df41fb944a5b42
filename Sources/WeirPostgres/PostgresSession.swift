import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Weir

/// One connection to the server, used synchronously from a task's thread (sink writers are
/// called on the task's thread, never on an event loop, so waiting on a future is safe there).
///
/// It connects on first use and again after the connection broke; whether re-running a
/// statement on the new connection is safe is the caller's decision (see ``isBroken(_:)``).
final class PostgresSession {
    let endpoint: PostgresEndpoint
    /// Shown in `pg_stat_activity`; lets a restarted sink find the sessions of earlier runs.
    let applicationName: String?
    private let logger: Logger
    private var connection: PostgresConnection?
    private var nextConnectionID = 0

    init(endpoint: PostgresEndpoint, applicationName: String? = nil, logger: Logger) {
        self.endpoint = endpoint
        self.applicationName = applicationName
        self.logger = logger
    }

    /// Runs one statement and returns its rows. Errors are ``PostgresSinkError``s, or
    /// ``ConnectionBroken`` when the connection broke.
    ///
    /// With `mayReconnect` (the default) a broken connection is replaced first. Statements
    /// inside a transaction must pass `false`: on a new connection they would run outside the
    /// transaction (in auto-commit), which is exactly what must never happen.
    @discardableResult
    func run(_ query: PostgresQuery, describedAs statement: String, mayReconnect: Bool = true) throws -> [PostgresRow] {
        let connection: PostgresConnection
        if mayReconnect {
            connection = try connected()
        } else {
            guard let current = self.connection, !current.isClosed else {
                drop()
                throw ConnectionBroken(reason: "the connection of the open transaction is closed")
            }
            connection = current
        }
        do {
            return try reply(to: query, on: connection).rows
        } catch let error as PSQLError {
            if let info = error.serverInfo {
                // FATAL errors (pg_terminate_backend, server shutdown) end the connection too.
                if info[.severity] == "FATAL" || info[.severity] == "PANIC" { drop() }
                throw PostgresSinkError.statementFailed(statement: statement, sqlState: info[.sqlState], message: info[.message] ?? "unknown error")
            }
            drop()
            throw ConnectionBroken(reason: "\(error.code)")
        } catch {
            drop()
            throw ConnectionBroken(reason: "\(error)")
        }
    }

    /// Waits for the reply to `query`, but not past the connection's end or the reply timeout.
    ///
    /// PostgresNIO writes a query to its channel without a promise for the write, so a query
    /// written just as the connection closes is lost and its future never completes (seen
    /// when `pg_terminate_backend` raced a write). Racing the reply against the connection's
    /// close turns that hang into a broken connection, which callers already handle.
    private func reply(to query: PostgresQuery, on connection: PostgresConnection) throws -> PostgresQueryResult {
        let eventLoop = connection.eventLoop
        let outcome = eventLoop.makePromise(of: PostgresQueryResult.self)
        connection.query(query, logger: logger).cascade(to: outcome)
        // A promise completed twice keeps its first result: a reply or an error that came
        // before the close wins.
        connection.closeFuture.whenComplete { _ in
            outcome.fail(ConnectionBroken(reason: "the connection closed before the statement's reply came"))
        }
        let endpoint = self.endpoint
        let deadline = endpoint.replyTimeout.map { timeout in
            eventLoop.scheduleTask(in: .milliseconds(max(1, timeout.wholeMilliseconds))) {
                outcome.fail(ConnectionBroken(reason: "no reply from \(endpoint) within \(timeout)"))
            }
        }
        defer { deadline?.cancel() }
        let reply = outcome.futureResult
        return try awaitOnTaskThread { try await reply.get() }
    }

    /// Whether `error` means the connection is gone (the server may or may not have executed
    /// the statement).
    static func isBroken(_ error: any Error) -> Bool {
        if error is ConnectionBroken { return true }
        if case let PostgresSinkError.statementFailed(_, sqlState, _) = error, let sqlState {
            // Class 08 (connection exception) and the shutdowns of class 57: 57P01
            // (pg_terminate_backend, admin shutdown), 57P02 (crash), 57P03 (cannot connect
            // now). Not 57014 (statement cancelled, e.g. by statement_timeout): the connection
            // is fine then.
            return sqlState.hasPrefix("08") || sqlState.hasPrefix("57P")
        }
        return false
    }

    func close() {
        guard let connection else { return }
        self.connection = nil
        _ = try? awaitOnTaskThread { try await connection.close().get() }
    }

    private func connected() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connection = nil
        nextConnectionID += 1
        do {
            let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
            let connecting = PostgresConnection.connect(on: eventLoop, configuration: endpoint.configuration(applicationName: applicationName), id: nextConnectionID, logger: logger)
            let fresh = try awaitOnTaskThread { try await connecting.get() }
            connection = fresh
            return fresh
        } catch let error as PSQLError {
            let reason = error.serverInfo?[.message] ?? String(reflecting: error.code)
            throw ConnectionBroken(reason: "cannot connect to \(endpoint): \(reason)")
        } catch {
            throw ConnectionBroken(reason: "cannot connect to \(endpoint): \(error)")
        }
    }

    private func drop() {
        guard let broken = connection else { return }
        connection = nil
        // The connection must live until it is closed (PostgresNIO asserts it).
        let closing: EventLoopFuture<Void> = broken.close()
        closing.whenComplete { _ in withExtendedLifetime(broken) {} }
    }
}

/// The connection to the server broke or could not be made.
struct ConnectionBroken: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
