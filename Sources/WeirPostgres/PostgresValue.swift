import Foundation
import PostgresNIO

/// One column value of a row a ``PostgresSink`` writes; always sent as a bound parameter.
///
/// A closed set of types (rather than any `PostgresEncodable`) so that rows are plain values:
/// upsert mode compares their conflict keys within a batch, and tests can compare them.
public enum PostgresValue: Sendable, Hashable {
    /// A `bigint` (or any integer column).
    case int(Int64)
    /// A `double precision`.
    case double(Double)
    /// A `text` (or `varchar`).
    case text(String)
    /// A `boolean`.
    case bool(Bool)
    /// A `timestamptz`.
    case timestamp(Date)
    /// SQL `NULL`.
    case null

    func bind(to bindings: inout PostgresBindings) {
        switch self {
        case .int(let value): bindings.append(value)
        case .double(let value): bindings.append(value)
        case .text(let value): bindings.append(value)
        case .bool(let value): bindings.append(value)
        case .timestamp(let value): bindings.append(value)
        case .null: bindings.appendNull()
        }
    }
}

extension PostgresValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    /// `.int(value)`.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// `.text(value)`.
    public init(stringLiteral value: String) { self = .text(value) }
    /// `.double(value)`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `.bool(value)`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
