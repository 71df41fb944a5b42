import Synchronization

/// A metric counter that task threads add to and any thread may read.
public final class Counter: Sendable {
    @usableFromInline let storage = Atomic<Int>(0)

    public init() {}

    public func add(_ amount: Int = 1) { storage.add(amount, ordering: .relaxed) }
    public var value: Int { storage.load(ordering: .relaxed) }
}
