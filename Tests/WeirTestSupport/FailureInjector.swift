import Synchronization

/// Fails a job a given number of times: attempt *k* throws after `thresholds[k]` records.
package final class FailureInjector: Sendable {
    package let thresholds: [Int]
    private let attempt = Atomic<Int>(0)
    private let seen = Atomic<Int>(0)

    package init(_ thresholds: [Int]) { self.thresholds = thresholds }

    package var failures: Int { attempt.load(ordering: .relaxed) }

    package func check() throws {
        let current = attempt.load(ordering: .relaxed)
        guard current < thresholds.count else { return }
        if seen.add(1, ordering: .relaxed).newValue == thresholds[current] {
            attempt.store(current + 1, ordering: .relaxed)
            seen.store(0, ordering: .relaxed)
            throw InjectedFailure(message: "injected failure \(current + 1)")
        }
    }
}
