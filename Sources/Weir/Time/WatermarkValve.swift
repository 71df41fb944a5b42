/// Combines the watermarks of a task's input channels: the task's watermark is the minimum
/// over the channels that are not idle, and it only ever advances. A finished channel counts
/// as being at the end of time (as in Flink): it never holds anything back, and when every
/// other channel is idle, event time runs to the end.
///
/// A pure state machine: each event returns what the task must forward, if anything.
@usableFromInline struct WatermarkValve {
    @usableFromInline enum ChannelState {
        case active(Watermark)
        case idle(Watermark)
        case finished
        case stopped
    }

    /// What to forward downstream after an event.
    @usableFromInline struct Action: Equatable {
        @usableFromInline var watermark: Watermark?
        @usableFromInline var idleness: Bool?
    }

    @usableFromInline var channels: [ChannelState]
    @usableFromInline var current = Watermark.initial
    @usableFromInline var isIdle = false

    @usableFromInline init(channelCount: Int) {
        channels = Array(repeating: .active(.initial), count: channelCount)
    }

    @usableFromInline mutating func watermark(_ watermark: Watermark, channel: Int) -> Action {
        switch channels[channel] {
        case .finished, .stopped: return Action()
        case .active(let previous), .idle(let previous):
            channels[channel] = .active(max(previous, watermark))
        }
        return recompute()
    }

    @usableFromInline mutating func idleness(_ idle: Bool, channel: Int) -> Action {
        switch channels[channel] {
        case .finished, .stopped: return Action()
        case .active(let watermark), .idle(let watermark):
            channels[channel] = idle ? .idle(watermark) : .active(watermark)
        }
        return recompute()
    }

    /// A channel ended. `stopped`: it ended because the job stops, not because its input is
    /// exhausted — it then no longer holds anything back, but does not carry event time to its
    /// end either.
    @usableFromInline mutating func finish(channel: Int, stopped: Bool = false) -> Action {
        channels[channel] = stopped ? .stopped : .finished
        return recompute()
    }

    @usableFromInline mutating func recompute() -> Action {
        var minimum: Watermark?
        var anyIdle = false
        for channel in channels {
            switch channel {
            case .active(let watermark): minimum = min(minimum ?? watermark, watermark)
            case .idle: anyIdle = true
            case .finished: minimum = min(minimum ?? .endOfTime, .endOfTime)
            case .stopped: break
            }
        }
        var action = Action()
        let nowIdle = minimum == nil && anyIdle
        if nowIdle != isIdle {
            isIdle = nowIdle
            action.idleness = nowIdle
        }
        if let minimum, minimum > current {
            current = minimum
            action.watermark = minimum
        }
        return action
    }
}
