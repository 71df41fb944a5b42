/// Runs one subtask's ``SinkWriter``.
@usableFromInline final class SinkOperator<Writer: SinkWriter>: StreamOperator {
    @usableFromInline typealias Input = Writer.Input
    @usableFromInline let makeWriter: (SinkContext) throws -> Writer
    @usableFromInline var writer: Writer?

    @inlinable init(makeWriter: @escaping (SinkContext) throws -> Writer) { self.makeWriter = makeWriter }

    @inlinable func open(_ context: OperatorContext) throws {
        writer = try makeWriter(SinkContext(subtask: context.location.subtask, parallelism: context.location.parallelism, operatorName: context.location.operatorName, jobName: context.jobName))
    }

    @inlinable func processRecord(_ value: Writer.Input, timestamp: Int64) throws {
        try writer!.write(value, timestamp: timestamp)
    }

    @inlinable func processWatermark(_ watermark: Watermark) throws {}
    @inlinable func processIdleness(_ idle: Bool) throws {}
    @inlinable func processBarrier(_ barrier: CheckpointBarrier) throws {}
    @inlinable func advanceProcessingTime(to now: Int64) throws {}
    @inlinable func flush() throws {}
    @inlinable func finish() throws { try writer?.finish() }
    @inlinable func close() { writer?.close() }
}
