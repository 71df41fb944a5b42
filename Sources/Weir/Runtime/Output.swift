/// Where an operator puts what it produces: the next operator of its chain, the channels to
/// the next task, several of those, or nowhere.
///
/// A final class of closures rather than a class hierarchy: a virtual call into a generic class
/// runs Swift's unspecialized generic code, whereas these closures are created where every
/// type is concrete, so each per-record call lands in specialized code.
@usableFromInline final class Output<Value: Sendable> {
    @usableFromInline let emitRecord: (Value, Int64) throws -> Void
    @usableFromInline let emitWatermarkElement: (Watermark) throws -> Void
    @usableFromInline let emitIdlenessElement: (Bool) throws -> Void
    @usableFromInline let emitBarrierElement: (CheckpointBarrier) throws -> Void
    @usableFromInline let advanceTime: (Int64) throws -> Void
    @usableFromInline let flushBuffers: () throws -> Void
    @usableFromInline let finishOutput: () throws -> Void

    @inlinable init(emit: @escaping (Value, Int64) throws -> Void,
         emitWatermark: @escaping (Watermark) throws -> Void,
         emitIdleness: @escaping (Bool) throws -> Void,
         emitBarrier: @escaping (CheckpointBarrier) throws -> Void,
         advanceProcessingTime: @escaping (Int64) throws -> Void,
         flush: @escaping () throws -> Void,
         finish: @escaping () throws -> Void) {
        self.emitRecord = emit
        self.emitWatermarkElement = emitWatermark
        self.emitIdlenessElement = emitIdleness
        self.emitBarrierElement = emitBarrier
        self.advanceTime = advanceProcessingTime
        self.flushBuffers = flush
        self.finishOutput = finish
    }

    @inline(__always) @inlinable func emit(_ value: Value, timestamp: Int64) throws { try emitRecord(value, timestamp) }
    @inline(__always) @inlinable func emitWatermark(_ watermark: Watermark) throws { try emitWatermarkElement(watermark) }
    @inline(__always) @inlinable func emitIdleness(_ idle: Bool) throws { try emitIdlenessElement(idle) }
    /// Forwards a checkpoint barrier; network outputs send it in band after their buffered records.
    @inline(__always) @inlinable func emitBarrier(_ barrier: CheckpointBarrier) throws { try emitBarrierElement(barrier) }
    /// Processing time advanced; chained operators fire processing-time timers.
    @inline(__always) @inlinable func advanceProcessingTime(to now: Int64) throws { try advanceTime(now) }
    /// Hands buffered records downstream; called before the task would wait for input.
    @inline(__always) @inlinable func flush() throws { try flushBuffers() }
    /// No more records will be emitted.
    @inline(__always) @inlinable func finish() throws { try finishOutput() }

    /// Output of an operator with no consumer.
    @inlinable static func discarding() -> Output {
        Output(emit: { _, _ in }, emitWatermark: { _ in }, emitIdleness: { _ in }, emitBarrier: { _ in }, advanceProcessingTime: { _ in }, flush: {}, finish: {})
    }

    /// Output that feeds several consumers of the same stream.
    @inlinable static func fanOut(_ outputs: [Output]) -> Output {
        Output(
            emit: { value, timestamp in for output in outputs { try output.emit(value, timestamp: timestamp) } },
            emitWatermark: { watermark in for output in outputs { try output.emitWatermark(watermark) } },
            emitIdleness: { idle in for output in outputs { try output.emitIdleness(idle) } },
            emitBarrier: { barrier in for output in outputs { try output.emitBarrier(barrier) } },
            advanceProcessingTime: { now in for output in outputs { try output.advanceProcessingTime(to: now) } },
            flush: { for output in outputs { try output.flush() } },
            finish: { for output in outputs { try output.finish() } })
    }

    /// This output for records, and this output plus `sideOutputs` for everything else:
    /// watermarks, idleness, time, flushes and the end of input reach every consumer of an
    /// operator, also those that read only one of its side outputs.
    @inlinable func including(sideOutputs: [any ControlOutput]) -> Output {
        guard !sideOutputs.isEmpty else { return self }
        let all: [any ControlOutput] = [self] + sideOutputs
        return Output(
            emit: emitRecord,
            emitWatermark: { watermark in for output in all { try output.emitWatermark(watermark) } },
            emitIdleness: { idle in for output in all { try output.emitIdleness(idle) } },
            emitBarrier: { barrier in for output in all { try output.emitBarrier(barrier) } },
            advanceProcessingTime: { now in for output in all { try output.advanceProcessingTime(to: now) } },
            flush: { for output in all { try output.flush() } },
            finish: { for output in all { try output.finish() } })
    }

    /// Output into the next operator of the same chain: a direct call, no queue, no copy.
    /// Whatever the operator throws leaves as an ``OperatorFailure`` naming it.
    @inlinable static func chained<Operator: StreamOperator>(to next: Operator, location: OperatorLocation) -> Output where Operator.Input == Value {
        Output(
            emit: { value, timestamp in
                do { try next.processRecord(value, timestamp: timestamp) } catch { throw location.attribute(error) }
            },
            emitWatermark: { watermark in
                do { try next.processWatermark(watermark) } catch { throw location.attribute(error) }
            },
            emitIdleness: { idle in
                do { try next.processIdleness(idle) } catch { throw location.attribute(error) }
            },
            emitBarrier: { barrier in
                do { try next.processBarrier(barrier) } catch { throw location.attribute(error) }
            },
            advanceProcessingTime: { now in
                do { try next.advanceProcessingTime(to: now) } catch { throw location.attribute(error) }
            },
            flush: { try next.flush() },
            finish: {
                do { try next.finish() } catch { throw location.attribute(error) }
            })
    }
}

/// The part of an output that does not depend on the value type: control elements.
@usableFromInline protocol ControlOutput: AnyObject {
    func emitWatermark(_ watermark: Watermark) throws
    func emitIdleness(_ idle: Bool) throws
    func emitBarrier(_ barrier: CheckpointBarrier) throws
    func advanceProcessingTime(to now: Int64) throws
    func flush() throws
    func finish() throws
}

extension Output: ControlOutput {}
