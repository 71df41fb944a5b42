import Synchronization

/// A metric counter that task threads add to and any thread may read.
public final class Counter: Sendable {
    @usableFromInline let storage = Atomic<Int>(0)

    /// A counter at zero.
    public init() {}

    /// Adds `amount`; safe from any thread.
    public func add(_ amount: Int = 1) { storage.add(amount, ordering: .relaxed) }
    /// The current count.
    public var value: Int { storage.load(ordering: .relaxed) }
}
