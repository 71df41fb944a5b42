import NIOCore

/// Which versions of which requests the broker speaks (sent first on every connection).
package struct ApiVersionsRequest: KafkaRequest {
    package struct Response: Sendable {
        package var errorCode: KafkaErrorCode
        /// Only the requests this client knows.
        package var versions: [APIKey: ClosedRange<Int16>]
    }

    package static let api = APIKey.apiVersions
    package static let versions: ClosedRange<Int16> = 0...3
    package static let firstFlexibleVersion: Int16? = 3

    package init() {}

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        guard version >= 3 else { return }
        buffer.writeCompactString("weir")  // client_software_name
        buffer.writeCompactString("0.1")  // client_software_version
        buffer.writeEmptyTaggedFields()
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        let errorCode = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
        // An UNSUPPORTED_VERSION answer is always in v0, whatever was asked.
        let flexible = version >= 3 && errorCode != .unsupportedVersion
        let count = flexible ? try buffer.readCompactArrayCount("api_keys") : try buffer.readArrayCount("api_keys")
        var versions: [APIKey: ClosedRange<Int16>] = [:]
        for _ in 0..<count {
            let key: Int16 = try buffer.readKafka("api_key")
            let min: Int16 = try buffer.readKafka("min_version")
            let max: Int16 = try buffer.readKafka("max_version")
            if flexible { try buffer.skipTaggedFields("api_keys") }
            if let api = APIKey(rawValue: key), min <= max { versions[api] = min...max }
        }
        return Response(errorCode: errorCode, versions: versions)
    }
}
