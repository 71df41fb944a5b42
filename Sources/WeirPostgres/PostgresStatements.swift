import Foundation

/// The SQL texts of one sink. Values never appear in them: rows are bound parameters; only
/// identifiers (quoted) and transaction ids (which `PREPARE TRANSACTION` takes as a literal
/// only, and which the sink builds from a restricted alphabet) do.
struct PostgresStatements {
    let table: String
    let columns: [String]
    let mode: PostgresWriteMode
    let commitsTable: String
    private var insertTexts: [Int: String] = [:]

    init(table: String, columns: [String], mode: PostgresWriteMode, commitsTable: String) throws {
        guard !columns.isEmpty else { throw PostgresSinkError.invalidConfiguration("no columns given for table '\(table)'") }
        if case .upsert(let keys) = mode {
            guard !keys.isEmpty else { throw PostgresSinkError.invalidConfiguration("upsert mode needs at least one key column") }
            for key in keys where !columns.contains(key) {
                throw PostgresSinkError.invalidConfiguration("upsert key column '\(key)' is not one of the columns \(columns)")
            }
        }
        self.table = Self.quoteQualified(table)
        self.columns = columns
        self.mode = mode
        self.commitsTable = Self.quoteQualified(commitsTable)
    }

    /// `INSERT` of `rows` rows, parameters numbered row by row.
    mutating func insert(rows: Int) -> String {
        if let text = insertTexts[rows] { return text }
        var text = "INSERT INTO \(table) (\(columns.map(Self.quote).joined(separator: ", "))) VALUES "
        var parameter = 0
        for row in 0..<rows {
            if row > 0 { text += ", " }
            text += "("
            for column in 0..<columns.count {
                parameter += 1
                text += column == 0 ? "$\(parameter)" : ", $\(parameter)"
            }
            text += ")"
        }
        if case .upsert(let keys) = mode {
            let others = columns.filter { !keys.contains($0) }
            text += " ON CONFLICT (\(keys.map(Self.quote).joined(separator: ", "))) "
            text += others.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + others.map { "\(Self.quote($0)) = EXCLUDED.\(Self.quote($0))" }.joined(separator: ", ")
        }
        insertTexts[rows] = text
        return text
    }

    var createCommitsTable: String {
        """
        CREATE TABLE IF NOT EXISTS \(commitsTable) (
            gid text PRIMARY KEY,
            job text NOT NULL,
            sink text NOT NULL,
            subtask integer NOT NULL,
            checkpoint_id bigint NOT NULL,
            committed_at timestamptz NOT NULL DEFAULT now())
        """
    }

    var recordCommit: String {
        "INSERT INTO \(commitsTable) (gid, job, sink, subtask, checkpoint_id) VALUES ($1, $2, $3, $4, $5)"
    }

    var findCommit: String { "SELECT 1 FROM \(commitsTable) WHERE gid = $1" }

    /// Forgets one commit (no restorable checkpoint names its transaction any more).
    var forgetCommit: String { "DELETE FROM \(commitsTable) WHERE gid = $1" }

    /// Forgets the commits of the subtasks a writer owns after a restart, but those of `known`.
    var forgetUnknownCommits: String {
        "DELETE FROM \(commitsTable) WHERE job = $1 AND sink = $2 AND subtask % $3 = $4 AND NOT (gid = ANY($5))"
    }

    static func prepare(_ gid: String) -> String { "PREPARE TRANSACTION \(literal(gid))" }
    static func commitPrepared(_ gid: String) -> String { "COMMIT PREPARED \(literal(gid))" }
    static func rollbackPrepared(_ gid: String) -> String { "ROLLBACK PREPARED \(literal(gid))" }

    /// `"name"`, with inner quotes doubled.
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `schema.table` → `"schema"."table"`.
    static func quoteQualified(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false).map { quote(String($0)) }.joined(separator: ".")
    }

    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
