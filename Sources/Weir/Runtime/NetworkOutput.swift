/// The sending end of one channel.
@usableFromInline struct ChannelEndpoint<Value: Sendable> {
    @usableFromInline init(gate: InputGate<Value>, channel: Int) { self.gate = gate; self.channel = channel }
    @usableFromInline let gate: InputGate<Value>
    @usableFromInline let channel: Int

    @inlinable func send(_ message: ChannelMessage<Value>, urgent: Bool = true) throws { try gate.send(message, on: channel, urgent: urgent) }
}

/// Records on their way to the subtasks of the next task, buffered per channel: a buffer is
/// sent as one batch when it is full, before any control element (so that order within a
/// channel is kept), and when the task is about to wait for input.
@usableFromInline final class ChannelBuffers<Value: Sendable> {
    @usableFromInline let targets: [ChannelEndpoint<Value>]
    @usableFromInline let buffers: TaskConfined<[[StreamRecord<Value>]]>
    @usableFromInline let batchSize: Int

    @inlinable init(targets: [ChannelEndpoint<Value>], batchSize: Int) {
        precondition(!targets.isEmpty && batchSize > 0)
        self.targets = targets
        self.batchSize = batchSize
        self.buffers = TaskConfined((0..<targets.count).map { _ in
            var buffer = [StreamRecord<Value>]()
            buffer.reserveCapacity(batchSize)
            return buffer
        })
    }

    @inline(__always)
    @inlinable func append(_ value: Value, timestamp: Int64, to index: Int) throws {
        buffers.value[index].append(StreamRecord(value, timestamp: timestamp))
        if buffers.value[index].count >= batchSize { try send(index, urgent: false) }
    }

    @inlinable func send(_ index: Int, urgent: Bool) throws {
        var batch = [StreamRecord<Value>]()
        batch.reserveCapacity(batchSize)
        swap(&batch, &buffers.value[index])
        try targets[index].send(.records(batch), urgent: urgent)
    }

    /// Sends every partly filled buffer and wakes the receivers: the task is about to wait.
    @inlinable func flush() throws {
        for index in buffers.value.indices where !buffers.value[index].isEmpty { try send(index, urgent: true) }
        for target in targets { target.gate.wakeReceiver() }
    }

    @inlinable func broadcast(_ message: ChannelMessage<Value>) throws {
        try flush()
        for target in targets { try target.send(message) }
    }

    /// An ``Output`` that routes each record with `route` (returning a target index).
    @inlinable func output(route: @escaping (Value) throws -> Int) -> Output<Value> {
        Output(
            emit: { value, timestamp in try self.append(value, timestamp: timestamp, to: try route(value)) },
            emitWatermark: { try self.broadcast(.watermark($0)) },
            emitIdleness: { try self.broadcast(.idleness($0)) },
            emitBarrier: { try self.broadcast(.barrier($0)) },
            advanceProcessingTime: { _ in },
            flush: { try self.flush() },
            finish: { try self.broadcast(.endOfInput) })
    }

    deinit { buffers.release() }
}

/// The outputs into other tasks, one per partitioning.
@usableFromInline enum NetworkOutput {
    /// Subtask *i* to subtask *i* of the next task (same parallelism, not chained).
    @inlinable static func forward<Value: Sendable>(targets: [ChannelEndpoint<Value>], batchSize: Int) -> Output<Value> {
        ChannelBuffers(targets: targets, batchSize: batchSize).output { _ in 0 }
    }

    /// Round-robin over all subtasks of the next task, starting at `start`.
    @inlinable static func rebalance<Value: Sendable>(targets: [ChannelEndpoint<Value>], batchSize: Int, startingAt start: Int) -> Output<Value> {
        var next = start % targets.count
        let count = targets.count
        return ChannelBuffers(targets: targets, batchSize: batchSize).output { _ in
            defer { next = next + 1 == count ? 0 : next + 1 }
            return next
        }
    }

    /// To the subtask that owns each record's key group.
    /// In a cluster task, also checks that each key group is one of its input partition's.
    @inlinable static func keyGroups<Value: Sendable, Key: StreamKey>(targets: [ChannelEndpoint<Value>], batchSize: Int, routing: KeyGroupRouting,
                                                         keySelector: @escaping @Sendable (Value) -> Key) -> Output<Value> {
        let parallelism = targets.count
        let maxParallelism = routing.maxParallelism
        let buffers = ChannelBuffers(targets: targets, batchSize: batchSize)
        guard routing.required != nil else {
            return buffers.output { value in
                let keyGroup = KeyGroupRange.keyGroup(of: keySelector(value), maxParallelism: maxParallelism)
                return KeyGroupRange.subtask(owning: keyGroup, parallelism: parallelism, maxParallelism: maxParallelism)
            }
        }
        return buffers.output { value in
            let keyGroup = KeyGroupRange.keyGroup(of: keySelector(value), maxParallelism: maxParallelism)
            try routing.check(keyGroup)
            return KeyGroupRange.subtask(owning: keyGroup, parallelism: parallelism, maxParallelism: maxParallelism)
        }
    }
}
