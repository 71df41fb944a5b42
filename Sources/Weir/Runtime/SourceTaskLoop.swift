/// The loop of a task headed by a source: poll the reader for a batch, push it through the
/// chain, and at the end emit the end-of-time watermark (so every window fires) and end of input.
struct SourceTaskLoop<S: Source> {
    let task: TaskEnvironment
    let source: S
    let output: Output<S.Output>

    func run() throws {
        let location = task.location
        var reader = try source.makeReader(SourceContext(subtask: location.subtask, parallelism: location.parallelism, operatorName: location.operatorName))
        defer { reader.close() }
        let batchSize = task.configuration.batchSize
        let tick = Int64(task.configuration.processingTimeTickMilliseconds)
        var nextTick = ProcessingClock.nowMilliseconds() + tick
        var batch: [StreamRecord<S.Output>] = []
        batch.reserveCapacity(batchSize)
        let recordsOut = task.metrics.recordsOut
        while true {
            try task.checkCancelled()
            batch.removeAll(keepingCapacity: true)
            let poll: SourcePoll
            do { poll = try reader.poll(into: &batch, maxRecords: batchSize) } catch { throw location.attribute(error) }
            recordsOut.add(batch.count)
            for record in batch { try output.emit(record.value, timestamp: record.timestamp) }
            let now = ProcessingClock.nowMilliseconds()
            if now >= nextTick {
                try output.advanceProcessingTime(to: now)
                nextTick = now + tick
            }
            switch poll {
            case .more:
                continue
            case .pause(let milliseconds):
                try output.flush()
                try task.pause(milliseconds: min(milliseconds, Int(tick)))
            case .finished:
                try output.emitWatermark(.endOfTime)
                try output.finish()
                return
            }
        }
    }
}
