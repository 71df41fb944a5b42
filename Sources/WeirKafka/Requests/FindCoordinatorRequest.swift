import NIOCore

/// Which broker coordinates a consumer group or a transactional id (versions 1–2).
public struct FindCoordinatorRequest: KafkaRequest {
    public enum KeyType: Int8, Sendable {
        case group = 0
        case transaction = 1
    }

    public struct Response: Sendable, Hashable {
        public var errorCode: KafkaErrorCode
        public var message: String?
        public var coordinator: BrokerAddress
    }

    public static let api = APIKey.findCoordinator
    public static let versions: ClosedRange<Int16> = 1...2
    public static let firstFlexibleVersion: Int16? = nil

    public var key: String
    public var keyType: KeyType

    public init(key: String, keyType: KeyType) {
        self.key = key
        self.keyType = keyType
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(key)
        buffer.writeInteger(keyType.rawValue)
    }

    public static func readResponse(from buffer: inout ByteBuffer, version: Int16) throws -> Response {
        _ = try buffer.readKafka("throttle_time_ms", as: Int32.self)
        let code = KafkaErrorCode(rawValue: try buffer.readKafka("error_code"))
        let message = try buffer.readKafkaString("error_message")
        let node: Int32 = try buffer.readKafka("node_id")
        let host = try buffer.readKafkaString("host") ?? ""
        let port: Int32 = try buffer.readKafka("port")
        return Response(errorCode: code, message: message, coordinator: BrokerAddress(host: host, port: Int(port), nodeID: node))
    }
}
