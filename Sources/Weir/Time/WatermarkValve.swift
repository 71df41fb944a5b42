/// Combines the watermarks of a task's input channels: the task's watermark is the minimum
/// over the channels that are neither idle nor finished, and it only ever advances.
///
/// A pure state machine: each event returns what the task must forward, if anything.
struct WatermarkValve {
    private enum ChannelState {
        case active(Watermark)
        case idle(Watermark)
        case finished
    }

    /// What to forward downstream after an event.
    struct Action: Equatable {
        var watermark: Watermark?
        var idleness: Bool?
    }

    private var channels: [ChannelState]
    private(set) var current = Watermark.initial
    private(set) var isIdle = false

    init(channelCount: Int) {
        channels = Array(repeating: .active(.initial), count: channelCount)
    }

    mutating func watermark(_ watermark: Watermark, channel: Int) -> Action {
        switch channels[channel] {
        case .finished: return Action()
        case .active(let previous), .idle(let previous):
            channels[channel] = .active(max(previous, watermark))
        }
        return recompute()
    }

    mutating func idleness(_ idle: Bool, channel: Int) -> Action {
        switch channels[channel] {
        case .finished: return Action()
        case .active(let watermark), .idle(let watermark):
            channels[channel] = idle ? .idle(watermark) : .active(watermark)
        }
        return recompute()
    }

    mutating func finish(channel: Int) -> Action {
        channels[channel] = .finished
        return recompute()
    }

    private mutating func recompute() -> Action {
        var minimum: Watermark?
        var anyIdle = false
        for channel in channels {
            switch channel {
            case .active(let watermark): minimum = min(minimum ?? watermark, watermark)
            case .idle: anyIdle = true
            case .finished: break
            }
        }
        var action = Action()
        let nowIdle = minimum == nil && anyIdle
        if nowIdle != isIdle {
            isIdle = nowIdle
            action.idleness = nowIdle
        }
        // All channels finished: no watermark from here on; the end-of-time watermark of
        // finished inputs has already been accounted for.
        if let minimum, minimum > current {
            current = minimum
            action.watermark = minimum
        }
        return action
    }
}
