extension Duration {
    /// `minutes` minutes: window sizes, lateness and checkpoint timeouts read naturally
    /// (`.tumbling(size: .minutes(1))`). The standard library stops at `.seconds`.
    @inlinable
    public static func minutes(_ minutes: some BinaryInteger) -> Duration {
        .seconds(Int64(minutes) * 60)
    }

    /// `minutes` minutes, fractional (`.minutes(1.5)` is 90 s).
    @inlinable
    public static func minutes(_ minutes: Double) -> Duration {
        .seconds(minutes * 60)
    }

    /// `hours` hours.
    @inlinable
    public static func hours(_ hours: some BinaryInteger) -> Duration {
        .seconds(Int64(hours) * 3_600)
    }

    /// `hours` hours, fractional.
    @inlinable
    public static func hours(_ hours: Double) -> Duration {
        .seconds(hours * 3_600)
    }

    /// `days` days (for long allowed lateness or state retention).
    @inlinable
    public static func days(_ days: some BinaryInteger) -> Duration {
        .seconds(Int64(days) * 86_400)
    }
}
