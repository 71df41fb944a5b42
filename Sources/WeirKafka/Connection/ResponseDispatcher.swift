import NIOCore

/// Pairs responses with their requests by correlation id, and fails every request in flight
/// when the connection ends (the broker may or may not have acted on them).
final class ResponseDispatcher: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Outgoing
    typealias OutboundOut = ByteBuffer

    struct Outgoing {
        var correlationID: Int32
        var api: APIKey
        var frame: ByteBuffer
        var reply: EventLoopPromise<ByteBuffer>
    }

    private let broker: BrokerAddress
    private var inFlight: [Int32: (api: APIKey, reply: EventLoopPromise<ByteBuffer>)] = [:]
    private var closed = false

    init(broker: BrokerAddress) { self.broker = broker }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let outgoing = unwrapOutboundIn(data)
        guard !closed else {
            outgoing.reply.fail(KafkaError.connectionClosed(broker: broker, api: outgoing.api))
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        inFlight[outgoing.correlationID] = (outgoing.api, outgoing.reply)
        // A write that fails (the connection just closed) fails its request at once.
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.assumeIsolated().whenFailure { [weak self] _ in self?.fail(outgoing.correlationID) }
        context.write(wrapOutboundOut(outgoing.frame), promise: written)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        guard let correlationID = frame.readInteger(as: Int32.self) else { return }
        // A response nobody waits for (its request timed out) is dropped.
        inFlight.removeValue(forKey: correlationID)?.reply.succeed(frame)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll()
        context.close(promise: nil)
    }

    private func fail(_ correlationID: Int32) {
        guard let request = inFlight.removeValue(forKey: correlationID) else { return }
        request.reply.fail(KafkaError.connectionClosed(broker: broker, api: request.api))
    }

    private func failAll() {
        closed = true
        let requests = inFlight
        inFlight.removeAll()
        for (_, request) in requests { request.reply.fail(KafkaError.connectionClosed(broker: broker, api: request.api)) }
    }
}
