import NIOCore

/// A request type of the Kafka protocol: how its body is written and its response read, for
/// the versions this client implements.
package protocol KafkaRequest: Sendable {
    associatedtype Response: Sendable
    static var api: APIKey { get }
    /// The versions this client can write and read.
    static var versions: ClosedRange<Int16> { get }
    /// The first version with compact encodings and tagged fields (KIP-482), if any is implemented.
    static var firstFlexibleVersion: Int16? { get }

    func write(to buffer: inout ByteBuffer, version: Int16)
    static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response
}

extension KafkaRequest {
    static func isFlexible(_ version: Int16) -> Bool {
        firstFlexibleVersion.map { version >= $0 } ?? false
    }

    /// Header v2 (flexible) or v1; ApiVersions answers with header v0 whatever its version, so
    /// that a client can read the answer to a version the broker does not know.
    static func responseHeaderHasTaggedFields(_ version: Int16) -> Bool {
        api != .apiVersions && isFlexible(version)
    }
}
