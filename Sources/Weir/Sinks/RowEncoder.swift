/// Turns a value into one line of an output file.
public struct RowEncoder<Input>: Sendable {
    /// A first line for every file (CSV column names), if any.
    public let header: String?
    /// Appends the value's line (without the line break) as UTF-8.
    @usableFromInline let append: @Sendable (Input, inout [UInt8]) -> Void

    /// An encoder that writes `encode(value)` as a line, and `header` as the first line of every file.
    @inlinable public init(header: String? = nil, encode: @escaping @Sendable (Input) -> String) {
        self.header = header
        self.append = { value, bytes in bytes.append(contentsOf: encode(value).utf8) }
    }

    @inlinable init(header: String?, append: @escaping @Sendable (Input, inout [UInt8]) -> Void) {
        self.header = header
        self.append = append
    }

    /// Appends the line of `value` (without the line break) to `bytes`: for sinks of other
    /// modules, without a `String` per record.
    @inlinable public func append(_ value: Input, to bytes: inout [UInt8]) {
        append(value, &bytes)
    }

    /// The line of `value` (for tests and tools).
    @inlinable public func encode(_ value: Input) -> String {
        var bytes: [UInt8] = []
        append(value, &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One line per value, as `line` renders it (it must not contain a line break).
    @inlinable public static func lines(_ line: @escaping @Sendable (Input) -> String) -> RowEncoder {
        RowEncoder(encode: line)
    }

    /// CSV (RFC 4180): fields with a comma, quote or line break are quoted, quotes doubled.
    @inlinable public static func csv(header: [String]? = nil, _ fields: @escaping @Sendable (Input) -> [String]) -> RowEncoder {
        RowEncoder(header: header.map { fields in
            var bytes: [UInt8] = []
            appendCSV(fields, to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }) { value, bytes in appendCSV(fields(value), to: &bytes) }
    }

    @inlinable static func appendCSV(_ fields: [String], to bytes: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            // Checked on UTF-8 bytes: comparing Characters costs more than the rest of a row.
            let needsQuotes = field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
            guard needsQuotes else {
                bytes.append(contentsOf: field.utf8)
                continue
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in field.utf8 {
                if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }
}

extension RowEncoder where Input: CustomStringConvertible {
    /// Each value's `description` on its own line.
    @inlinable public static var description: RowEncoder { .lines { $0.description } }
}
