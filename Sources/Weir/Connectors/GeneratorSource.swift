/// A deterministic, parallel source: record *i* is `generate(i)` for `i` in `0..<count`.
///
/// Subtask *s* of *p* produces the indices `s, s + p, s + 2p, …` in order, so the whole
/// output is a pure function of `count` and `generate` whatever the parallelism, and a
/// subtask's position is a single number (the next index) that a checkpoint can record and a
/// restore can rewind to. Use ``SplitMix64`` inside `generate` for seeded randomness that
/// depends on the index only.
public struct GeneratorSource<Output: Sendable>: Source {
    /// Number of records; `nil` for an unbounded stream.
    public let count: Int64?
    /// Records per second over all subtasks; `nil` for as fast as possible.
    public let ratePerSecond: Double?
    @usableFromInline let generate: @Sendable (Int64) -> StreamRecord<Output>

    /// Records `generate(0)`, `generate(1)`, … up to `count`; subtask *i* of *p* generates the
    /// indices *i*, *i + p*, …, so the output does not depend on the parallelism.
    @inlinable public init(count: Int64?, ratePerSecond: Double? = nil, generate: @escaping @Sendable (Int64) -> StreamRecord<Output>) {
        precondition((count ?? 0) >= 0, "count must not be negative")
        precondition(ratePerSecond.map { $0 > 0 } ?? true, "rate must be positive")
        self.count = count
        self.ratePerSecond = ratePerSecond
        self.generate = generate
    }

    /// A reader of the subtask's stripe of indices.
    @inlinable public func makeReader(_ context: SourceContext) throws -> Reader {
        Reader(source: self, splits: [Split(next: Int64(context.subtask), stride: Int64(context.parallelism))], parallelism: context.parallelism)
    }

    /// A reader that goes on from the stripes' next indices a checkpoint recorded.
    @inlinable public func restoreReader(_ context: SourceContext, splits: [[UInt8]]) throws -> Reader {
        let decoder = BinaryStateDecoder()
        return Reader(source: self, splits: try splits.map { try decoder.decode(Split.self, from: $0) }, parallelism: context.parallelism)
    }

    /// A stripe of the index space: `next, next + stride, …` up to `count`.
    @usableFromInline struct Split: Codable, Sendable, Equatable {
        @usableFromInline init(next: Int64, stride: Int64) { self.next = next; self.stride = stride }
        @usableFromInline var next: Int64
        @usableFromInline var stride: Int64
    }

    /// Generates a subtask's stripes; each stripe's next index is a split.
    public struct Reader: SourceReader {
        @usableFromInline let source: GeneratorSource
        @usableFromInline let parallelism: Int
        @usableFromInline var splits: [Split]
        @usableFromInline let startedAt = ProcessingClock.monotonicNanoseconds()
        @usableFromInline var produced: Int64 = 0

        @inlinable init(source: GeneratorSource, splits: [Split], parallelism: Int) {
            self.source = source
            self.splits = splits
            self.parallelism = parallelism
        }

        /// Up to `maxRecords` next records, at the configured rate.
        @inlinable public mutating func poll(into batch: inout [StreamRecord<Output>], maxRecords: Int) throws -> SourcePoll {
            var limit = Int64(maxRecords)
            if let rate = source.ratePerSecond {
                let perSubtask = rate / Double(parallelism)
                let elapsed = Double(ProcessingClock.monotonicNanoseconds() - startedAt) / 1e9
                let due = Int64(elapsed * perSubtask) + 1 - produced
                if due <= 0 { return .pause(milliseconds: max(1, Int(1_000 / perSubtask))) }
                limit = min(limit, due)
            }
            let end = source.count ?? Int64.max
            var emitted: Int64 = 0
            if splits.count == 1 {
                // The common case, without round-robin bookkeeping.
                var index = splits[0].next
                let stride = splits[0].stride
                while emitted < limit && index < end {
                    batch.append(source.generate(index))
                    index += stride
                    emitted += 1
                }
                splits[0].next = index
            } else {
                // Several stripes (after a restore at another parallelism), which may have got
                // unequally far: the lowest index next, so that the subtask generates in index
                // order — as one generator would — and a stripe that lags does not become late
                // for the watermark the leading one drives.
                while emitted < limit && !splits.isEmpty {
                    var lowest = 0
                    for candidate in splits.indices where splits[candidate].next < splits[lowest].next { lowest = candidate }
                    if splits[lowest].next >= end {
                        splits.remove(at: lowest)
                        continue
                    }
                    batch.append(source.generate(splits[lowest].next))
                    splits[lowest].next += splits[lowest].stride
                    emitted += 1
                }
            }
            produced += emitted
            splits.removeAll { $0.next >= end }
            return splits.isEmpty ? .finished : .more
        }

        /// Every stripe's next index, for a checkpoint.
        @inlinable public func snapshotSplits() throws -> [[UInt8]] {
            let encoder = BinaryStateEncoder()
            return try splits.map { try encoder.encode($0) }
        }
    }
}

/// A small, fast, seedable pseudo-random generator (SplitMix64), for generators whose record
/// *i* must be the same in every run: seed it with the record index.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    @inlinable public init(seed: UInt64) { state = seed }

    /// The next number of the sequence.
    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
