/// Runs one subtask's ``SinkWriter``.
final class SinkOperator<Writer: SinkWriter>: StreamOperator {
    typealias Input = Writer.Input
    private let makeWriter: (SinkContext) throws -> Writer
    private var writer: Writer?

    init(makeWriter: @escaping (SinkContext) throws -> Writer) { self.makeWriter = makeWriter }

    func open(_ context: OperatorContext) throws {
        writer = try makeWriter(SinkContext(subtask: context.location.subtask, parallelism: context.location.parallelism, operatorName: context.location.operatorName, jobName: context.jobName))
    }

    func processRecord(_ value: Writer.Input, timestamp: Int64) throws {
        try writer!.write(value, timestamp: timestamp)
    }

    func processWatermark(_ watermark: Watermark) throws {}
    func processIdleness(_ idle: Bool) throws {}
    func processBarrier(_ barrier: CheckpointBarrier) throws {}
    func advanceProcessingTime(to now: Int64) throws {}
    func flush() throws {}
    func finish() throws { try writer?.finish() }
    func close() { writer?.close() }
}
