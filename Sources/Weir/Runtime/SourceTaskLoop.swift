import Foundation

/// The loop of a task headed by a source: poll the reader for a batch, push it through the
/// chain, inject checkpoint barriers when the coordinator triggers them.
///
/// At the end of its input the source emits the end-of-time watermark (so every window fires).
/// With checkpoints, it then keeps taking part in checkpoints (with its final position) until
/// the final checkpoint completed — so that sinks commit everything — and only then ends its
/// output.
@usableFromInline struct SourceTaskLoop<S: Source> {
    @usableFromInline init(task: TaskEnvironment, source: S, output: Output<S.Output>, checkpointing: TaskCheckpointing?, restoredSplits: [[UInt8]]?, operatorID: String, maxParallelism: Int) { self.task = task; self.source = source; self.output = output; self.checkpointing = checkpointing; self.restoredSplits = restoredSplits; self.operatorID = operatorID; self.maxParallelism = maxParallelism }
    @usableFromInline let task: TaskEnvironment
    @usableFromInline let source: S
    @usableFromInline let output: Output<S.Output>
    @usableFromInline let checkpointing: TaskCheckpointing?
    /// The splits a checkpoint assigned to this subtask, if the job was restored.
    @usableFromInline let restoredSplits: [[UInt8]]?
    @usableFromInline let operatorID: String
    @usableFromInline let maxParallelism: Int

    @inlinable func run() throws {
        let location = task.location
        let context = SourceContext(subtask: location.subtask, parallelism: location.parallelism, operatorName: location.operatorName)
        var reader: S.Reader
        do {
            reader = try restoredSplits.map { try source.restoreReader(context, splits: $0) } ?? source.makeReader(context)
        } catch {
            throw location.attribute(error)
        }
        defer { reader.close() }
        var loop = TaskLoop(task: task, checkpointing: checkpointing)
        let batchSize = task.configuration.batchSize
        var batch: [StreamRecord<S.Output>] = []
        batch.reserveCapacity(batchSize)
        let recordsOut = task.metrics.recordsOut
        var emittedWatermark = Watermark.initial
        var idle = false

        func takeCheckpoint(_ barrier: CheckpointBarrier) throws {
            try checkpointing?.checkpoint(barrier, extra: {
                OperatorSnapshot(operatorID: operatorID, subtask: location.subtask, parallelism: location.parallelism,
                                 maxParallelism: maxParallelism, keyed: [:], listState: try reader.snapshotSplits(checkpointID: barrier.checkpointID))
            }, forwardBarrier: { try output.emitBarrier(barrier) })
        }

        func completed(_ checkpointID: Int64) throws {
            do { try reader.notifyCheckpointComplete(checkpointID) } catch { throw location.attribute(error) }
        }

        while true {
            try task.checkCancelled()
            try loop.handleMail(trigger: takeCheckpoint, complete: completed)
            batch.removeAll(keepingCapacity: true)
            let poll: SourcePoll
            let stopping = task.control.isStopping
            do { poll = stopping ? .finished : try reader.poll(into: &batch, maxRecords: batchSize) } catch { throw location.attribute(error) }
            recordsOut.add(batch.count)
            if idle, !batch.isEmpty || !reader.isIdle {
                idle = false
                try output.emitIdleness(false)
            }
            for record in batch { try output.emit(record.value, timestamp: record.timestamp) }
            // A reader that makes its own watermarks (per partition, say): emitted as they advance.
            if let watermark = reader.currentWatermark, watermark > emittedWatermark, watermark != .endOfTime {
                emittedWatermark = watermark
                task.metrics.observeWatermark(watermark)
                try output.emitWatermark(watermark)
            }
            if !idle, batch.isEmpty, reader.isIdle {
                idle = true
                try output.emitIdleness(true)
            }
            try loop.advanceClock(output)
            switch poll {
            case .more:
                continue
            case .pause(let milliseconds):
                try output.flush()
                try task.pause(milliseconds: min(milliseconds, Int(loop.tick)))
            case .finished:
                // A stop ends the input here, not event time: windows still open stay in the
                // final checkpoint and fire after a resume.
                if !stopping { try output.emitWatermark(.endOfTime) }
                try output.flush()
                if let checkpointing { checkpointing.coordinator.sourceFinished(checkpointing.task) }
                try loop.endOfInput(output, trigger: takeCheckpoint, complete: completed)
                return
            }
        }
    }
}
