/// Turns a value into one line of an output file.
public struct RowEncoder<Input>: Sendable {
    /// A first line for every file (CSV column names), if any.
    public let header: String?
    let encode: @Sendable (Input) -> String

    public init(header: String? = nil, encode: @escaping @Sendable (Input) -> String) {
        self.header = header
        self.encode = encode
    }

    /// One line per value, as `line` renders it (it must not contain a newline).
    public static func lines(_ line: @escaping @Sendable (Input) -> String) -> RowEncoder {
        RowEncoder(encode: line)
    }

    /// CSV (RFC 4180): fields with a comma, quote or line break are quoted, quotes doubled.
    public static func csv(header: [String]? = nil, _ fields: @escaping @Sendable (Input) -> [String]) -> RowEncoder {
        RowEncoder(header: header.map(csvLine)) { csvLine(fields($0)) }
    }

    static func csvLine(_ fields: [String]) -> String {
        fields.map { field in
            guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",")
    }
}

extension RowEncoder where Input: CustomStringConvertible {
    /// Each value's `description` on its own line.
    public static var description: RowEncoder { .lines { $0.description } }
}

import Foundation
