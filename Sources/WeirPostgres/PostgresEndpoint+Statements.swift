import Logging
import PostgresNIO

extension PostgresEndpoint {
    /// Runs `sql` on a connection of its own, in auto-commit, outside any sink — for setting up
    /// a sink's table or reading what it committed. Returns every row's columns as integers
    /// (`nil` for SQL NULL); a statement without rows returns `[]`. Errors are
    /// ``PostgresSinkError``s that name the statement and the server.
    @discardableResult
    public func integerRows(_ sql: String) throws -> [[Int64?]] {
        let session = PostgresSession(endpoint: self, logger: Logger(label: "weir.postgres", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { session.close() }
        do {
            return try session.run(PostgresQuery(unsafeSQL: sql), describedAs: sql).map { row in
                try row.map { cell in try cell.decode(Int64?.self) }
            }
        } catch let broken as ConnectionBroken {
            throw PostgresSinkError.connectionLost(server: "\(self)", during: sql, reason: broken.reason)
        }
    }
}
