import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One TCP connection to one broker. Requests may be pipelined; the broker answers them in
/// order and correlation ids pair them. Every request has a timeout, after which the
/// connection is closed (its state is unknown) and the caller reconnects.
package final class BrokerConnection: Sendable {
    package let broker: BrokerAddress
    private let channel: any Channel
    private let clientID: String
    private let correlationIDs = NIOLockedValueBox<Int32>(0)
    /// The versions the broker supports, from ApiVersions at connect.
    package let brokerVersions: [APIKey: ClosedRange<Int16>]

    private init(broker: BrokerAddress, channel: any Channel, clientID: String, brokerVersions: [APIKey: ClosedRange<Int16>]) {
        self.broker = broker
        self.channel = channel
        self.clientID = clientID
        self.brokerVersions = brokerVersions
    }

    /// Connects and negotiates versions (ApiVersions).
    package static func connect(to broker: BrokerAddress, configuration: KafkaClientConfiguration) async throws -> BrokerConnection {
        let maxResponseSize = configuration.maxResponseSize
        let bootstrap = ClientBootstrap(group: configuration.eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(broker: broker, maxFrameSize: maxResponseSize)))
                    try channel.pipeline.syncOperations.addHandler(ResponseDispatcher(broker: broker))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: broker.host, port: broker.port).get()
        } catch {
            throw KafkaError.connectionFailed(broker: broker, reason: "\(error)")
        }
        let unnegotiated = BrokerConnection(broker: broker, channel: channel, clientID: configuration.clientID, brokerVersions: [:])
        do {
            let versions = try await unnegotiated.negotiateVersions(timeout: configuration.requestTimeout)
            return BrokerConnection(broker: broker, channel: channel, clientID: configuration.clientID, brokerVersions: versions)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    package var isActive: Bool { channel.isActive }

    package func close() async {
        try? await channel.close()
    }

    /// The highest version of `Request` both sides speak.
    package func version<Request: KafkaRequest>(of _: Request.Type) throws -> Int16 {
        guard let supported = brokerVersions[Request.api], supported.overlaps(Request.versions) else {
            throw KafkaError.noCommonVersion(api: Request.api, broker: broker, brokerVersions: brokerVersions[Request.api], clientVersions: Request.versions)
        }
        return min(supported.upperBound, Request.versions.upperBound)
    }

    /// Sends `request` at the highest common version and waits for its response.
    package func send<Request: KafkaRequest>(_ request: Request, timeout: Duration) async throws -> Request.Response {
        try await send(request, version: try version(of: Request.self), timeout: timeout)
    }

    func send<Request: KafkaRequest>(_ request: Request, version: Int16, timeout: Duration) async throws -> Request.Response {
        let correlationID = correlationIDs.withLockedValue { id -> Int32 in
            id = id == Int32.max ? 0 : id + 1
            return id
        }
        var frame = channel.allocator.buffer(capacity: 256)
        frame.writeInteger(Int32(0))  // size, set below
        frame.writeInteger(Request.api.rawValue)
        frame.writeInteger(version)
        frame.writeInteger(correlationID)
        frame.writeKafkaString(clientID)
        if Request.isFlexible(version) { frame.writeEmptyTaggedFields() }
        request.write(to: &frame, version: version)
        frame.setInteger(Int32(frame.readableBytes - 4), at: frame.readerIndex)

        let reply = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let broker = self.broker
        let channel = self.channel
        let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            reply.fail(KafkaError.timedOut(broker: broker, api: Request.api, after: timeout))
            // What the broker did is unknown and a late response would be dropped anyway.
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        channel.writeAndFlush(ResponseDispatcher.Outgoing(correlationID: correlationID, api: Request.api, frame: frame, reply: reply), promise: nil)
        var response = try await reply.futureResult.get()
        do {
            if Request.responseHeaderHasTaggedFields(version) { try response.skipTaggedFields("response header") }
            return try Request.readResponse(from: &response, version: version)
        } catch let error as KafkaProtocolError {
            throw KafkaError.protocolViolation(broker: broker, api: Request.api, error)
        }
    }

    private func negotiateVersions(timeout: Duration) async throws -> [APIKey: ClosedRange<Int16>] {
        var response = try await send(ApiVersionsRequest(), version: ApiVersionsRequest.versions.upperBound, timeout: timeout)
        if response.errorCode == .unsupportedVersion {
            // The broker answered in v0, listing what it speaks; ask again in a version it knows.
            let version = min(response.versions[.apiVersions]?.upperBound ?? 0, ApiVersionsRequest.versions.upperBound)
            response = try await send(ApiVersionsRequest(), version: version, timeout: timeout)
        }
        guard response.errorCode == .none else { throw KafkaError.broker(response.errorCode, api: .apiVersions, broker: broker) }
        return response.versions
    }
}
