import NIOCore

/// Which broker coordinates a consumer group or a transactional id (versions 1–2).
package struct FindCoordinatorRequest: KafkaRequest {
    package enum KeyType: Int8, Sendable {
        case group = 0
        case transaction = 1
    }

    package struct Response: Sendable, Hashable {
        package var errorCode: KafkaErrorCode
        package var message: String?
        package var coordinator: BrokerAddress
    }

    package static let api = APIKey.findCoordinator
    package static let versions: ClosedRange<Int16> = 1...2
    package static let firstFlexibleVersion: Int16? = nil

    package var key: String
    package var keyType: KeyType

    package init(key: String, keyType: KeyType) {
        self.key = key
        self.keyType = keyType
    }

    package func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(key)
        buffer.writeInteger(keyType.rawValue)
    }

    package static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
        let message = try buffer.readKafkaString("error_message")
        let node: Int32 = try buffer.readKafka("node_id")
        let host = try buffer.readKafkaString("host") ?? ""
        let port: Int32 = try buffer.readKafka("port")
        return Response(errorCode: code, message: message, coordinator: BrokerAddress(host: host, port: Int(port), nodeID: node))
    }
}
