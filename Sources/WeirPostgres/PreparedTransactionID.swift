/// The global id of a sink subtask's prepared transaction:
/// `weir:<job>:<sink>:<subtask>:<checkpoint>`.
///
/// Deterministic, so that a restarted job finds what an earlier run of the same job and sink
/// prepared (in `pg_prepared_xacts`) and can commit or roll it back. Job and sink names are
/// reduced to letters, digits, `_`, `.` and `-` (an altered name gets a hash of the original
/// appended, so two names do not collide), which also keeps the id safe as the literal
/// `PREPARE TRANSACTION` requires. At most 200 bytes, PostgreSQL's limit.
struct PreparedTransactionID: Hashable {
    let prefix: String
    let subtask: Int
    let checkpointID: Int64

    var text: String { "\(prefix)\(subtask):\(checkpointID)" }

    /// `weir:<job>:<sink>:` — every id of this job's sink starts with it.
    static func prefix(job: String, sink: String) -> String {
        "weir:\(sanitize(job)):\(sanitize(sink)):"
    }

    /// Parses an id of this prefix; `nil` for any other.
    init?(_ text: String, prefix: String) {
        guard text.hasPrefix(prefix) else { return nil }
        let fields = text.dropFirst(prefix.count).split(separator: ":")
        guard fields.count == 2, let subtask = Int(fields[0]), let checkpointID = Int64(fields[1]) else { return nil }
        self.init(prefix: prefix, subtask: subtask, checkpointID: checkpointID)
    }

    init(prefix: String, subtask: Int, checkpointID: Int64) {
        self.prefix = prefix
        self.subtask = subtask
        self.checkpointID = checkpointID
    }

    /// `application_name` of a subtask's sessions: `weir-<hash of prefix>:<subtask>`, short
    /// enough for PostgreSQL's 63-byte limit, so that a restarted subtask can find (and end)
    /// the sessions an earlier run left behind.
    static func sessionName(prefix: String, subtask: Int) -> String {
        "\(sessionNamePrefix(prefix))\(subtask)"
    }

    static func sessionNamePrefix(_ prefix: String) -> String {
        "weir-" + String(fnv1a(prefix), radix: 16) + ":"
    }

    /// FNV-1a: stable across processes (unlike Hasher).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return hash
    }

    static func sanitize(_ name: String) -> String {
        let allowed = name.unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-": return Character(scalar)
            default: return "_"
            }
        }
        var result = String(allowed.prefix(64))
        if result != name {
            result += "~" + String(UInt32(truncatingIfNeeded: fnv1a(name)), radix: 16)
        }
        return result
    }
}
