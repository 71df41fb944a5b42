extension Duration {
    /// Whole milliseconds, rounded toward zero; event time in Weir is kept in milliseconds.
    @inlinable
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
