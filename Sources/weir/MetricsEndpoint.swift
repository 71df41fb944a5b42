import Foundation
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import Weir

/// The job's metrics for Prometheus (`GET /metrics`) and a small JSON status (`GET /status`),
/// served on 127.0.0.1 while `weir run` or `weir worker` runs (a worker's labelled by task). Metrics go through swift-metrics, with
/// swift-prometheus as the backend.
final class MetricsEndpoint: @unchecked Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let lock = NSLock()
    private var channel: (any Channel)?
    private var reported: [String: Int] = [:]
    private var status = Status(state: "starting", elapsedSeconds: 0, sourceRecords: 0, restarts: 0, checkpoints: [])
    private(set) var port = 0

    struct Status: Codable {
        struct Checkpoint: Codable {
            var id: Int64
            var durationMilliseconds: Int64
            var stateSize: Int
            var isFinal: Bool
        }

        var state: String
        var elapsedSeconds: Double
        var sourceRecords: Int
        var restarts: Int
        var checkpoints: [Checkpoint]
        /// `weir worker`: the group generation, and each task's own status (by task name).
        var generation: Int32?
        var tasks: [String: Status]?
    }

    init(host: String, port: Int) throws {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(endpoint: self))
                }
            }
        do {
            let channel = try bootstrap.bind(host: host, port: port).wait()
            self.channel = channel
            self.port = channel.localAddress?.port ?? port
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    /// Updates the metrics from a progress report of the job — or, in `weir worker`, of one of
    /// its tasks: then every series carries a `task` label and `/status` lists the task.
    func update(_ progress: JobProgress, state: String = "running", task: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        let scope = task.map { [("task", $0)] } ?? []
        for op in progress.operators {
            let name = op.operatorName
            let dimensions = scope + [("operator", name)]
            add("weir_records_in_total", op.recordsIn.value, dimensions)
            add("weir_records_out_total", op.recordsOut.value, dimensions)
            add("weir_late_records_dropped_total", op.lateRecordsDropped.value, dimensions)
            add("weir_sink_transactions_committed_total", op.transactionsCommitted.value, dimensions)
            add("weir_sink_commit_failures_total", op.commitFailures.value, dimensions)
            add("weir_input_backpressure_nanoseconds_total", op.inputBackpressureNanoseconds.value, dimensions)
            if op.currentWatermark != Int64.min {
                Gauge(label: "weir_watermark_milliseconds", dimensions: dimensions).record(Double(op.currentWatermark == Int64.max ? -1 : op.currentWatermark))
            }
        }
        add("weir_checkpoints_completed_total", progress.checkpoints.count, scope)
        add("weir_restarts_total", progress.restarts, scope)
        if let last = progress.checkpoints.last {
            Gauge(label: "weir_last_checkpoint_id", dimensions: scope).record(Double(last.checkpointID))
            Gauge(label: "weir_last_checkpoint_duration_milliseconds", dimensions: scope).record(Double(last.durationMilliseconds))
            Gauge(label: "weir_last_checkpoint_size_bytes", dimensions: scope).record(Double(last.stateSize))
            Gauge(label: "weir_last_checkpoint_task_pause_microseconds", dimensions: scope).record(Double(last.maxTaskPauseMicroseconds))
            Gauge(label: "weir_last_checkpoint_alignment_microseconds", dimensions: scope).record(Double(last.maxAlignmentMicroseconds))
        }
        let current = Status(state: state, elapsedSeconds: progress.elapsedSeconds, sourceRecords: progress.sourceRecords, restarts: progress.restarts,
                             checkpoints: progress.checkpoints.suffix(20).map { .init(id: $0.checkpointID, durationMilliseconds: $0.durationMilliseconds, stateSize: $0.stateSize, isFinal: $0.isFinal) })
        if let task { status.tasks = (status.tasks ?? [:]).merging([task: current]) { $1 } } else { status = current }
    }

    /// `weir worker`: the worker's generation and tasks. A task it no longer runs leaves
    /// `/status` (its series stay, at their last values, as Prometheus expects of counters).
    func updateWorker(generation: Int32?, tasks: [String], ended: [String]) {
        lock.lock()
        defer { lock.unlock() }
        status.state = generation == nil ? "joining" : "running"
        status.generation = generation
        status.tasks = (status.tasks ?? [:]).filter { tasks.contains($0.key) }
        for name in ended { status.tasks?[name]?.state = "ended" }
        Gauge(label: "weir_worker_generation").record(Double(generation ?? -1))
        Gauge(label: "weir_worker_tasks").record(Double(tasks.count))
    }

    func finished(_ state: String) {
        lock.lock()
        status.state = state
        lock.unlock()
    }

    /// Counters take increments: add what grew since the last report. A total below the last
    /// one is a new run of the job (a worker's task restarted from its checkpoint, its counts
    /// from zero): all of it is new.
    private func add(_ label: String, _ total: Int, _ dimensions: [(String, String)]) {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        let previous = reported[key] ?? 0
        let delta = total >= previous ? total - previous : total
        reported[key] = total
        if delta > 0 { Metrics.Counter(label: label, dimensions: dimensions).increment(by: delta) }
    }

    fileprivate func response(for path: String) -> (HTTPResponseStatus, String, [UInt8]) {
        switch path {
        case "/metrics":
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return (.ok, "text/plain; version=0.0.4", bytes)
        case "/status":
            lock.lock()
            let current = status
            lock.unlock()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (.ok, "application/json", Array((try? encoder.encode(current)) ?? Data()))
        default:
            return (.notFound, "text/plain", Array("not found: try /metrics or /status\n".utf8))
        }
    }

    func stop() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let endpoint: MetricsEndpoint
        init(endpoint: MetricsEndpoint) { self.endpoint = endpoint }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .head(let request) = unwrapInboundIn(data) else { return }
            let (status, type, body) = endpoint.response(for: String(request.uri.split(separator: "?").first ?? ""))
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: "\(body.count)")
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }
}
