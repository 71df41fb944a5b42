#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock and monotonic time for processing-time logic (idleness, processing-time timers,
/// rate limiting). Event time never reads the clock.
public enum ProcessingClock {
    /// Milliseconds since the Unix epoch, as processing-time timers see it.
    public static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Monotonic milliseconds (from an arbitrary origin): for intervals and timeouts, which a
    /// change of the wall clock must not stretch or cut short.
    public static func monotonicMilliseconds() -> Int64 { Int64(monotonicNanoseconds() / 1_000_000) }

    /// Monotonic nanoseconds, for measuring durations and pacing.
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
