import Foundation
import PostgresNIO

/// Where a PostgreSQL server is and who Weir connects as.
public struct PostgresEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The server's host name or IP address. Default 127.0.0.1.
    public var host: String
    /// The server's port. Default 5432.
    public var port: Int
    /// The role Weir connects as.
    public var username: String
    /// The role's password (`nil`: none, e.g. trust or peer authentication).
    public var password: String?
    /// The database holding the sink's table.
    public var database: String
    /// How long a connection attempt may take. Default 10 s.
    public var connectTimeout: Duration = .seconds(10)
    /// The server cancels a statement of the sink that runs longer (`statement_timeout`), so
    /// that a statement stuck behind a lock fails the job (which restarts and cleans up)
    /// instead of hanging it. `nil`: the server's setting. Default 60 s.
    public var statementTimeout: Duration? = .seconds(60)
    /// How long the sink waits for the reply to a statement before it gives the connection
    /// up as broken: a reply that never comes (a network partition, a peer gone without a
    /// FIN) would otherwise hang the task for good. Keep it above `statementTimeout`, so
    /// that a slow statement is cancelled by the server first. `nil`: wait forever.
    /// Default 90 s.
    public var replyTimeout: Duration? = .seconds(90)

    /// An endpoint with the default timeouts.
    public init(host: String = "127.0.0.1", port: Int = 5432, username: String, password: String? = nil, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `postgres://user[:password]@host[:port]/database` (also `postgresql://`).
    public init(url: String) throws {
        guard let components = URLComponents(string: url),
              components.scheme == "postgres" || components.scheme == "postgresql",
              let host = components.host, !host.isEmpty,
              let user = components.user, !user.isEmpty else {
            throw PostgresSinkError.invalidConfiguration("'\(url)' is not a PostgreSQL URL of the form postgres://user[:password]@host[:port]/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        self.init(host: host, port: components.port ?? 5432, username: user, password: components.password, database: database.isEmpty ? user : database)
    }

    /// `host:port/database`, without credentials (for messages).
    public var description: String { "\(host):\(port)/\(database)" }

    func configuration(applicationName: String?) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: .disable)
        configuration.options.connectTimeout = .milliseconds(connectTimeout.wholeMilliseconds)
        if let applicationName { configuration.options.additionalStartupParameters.append(("application_name", applicationName)) }
        if let statementTimeout {
            configuration.options.additionalStartupParameters.append(("statement_timeout", String(max(1, statementTimeout.wholeMilliseconds))))
        }
        return configuration
    }
}

extension Duration {
    var wholeMilliseconds: Int64 { components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000 }
}
