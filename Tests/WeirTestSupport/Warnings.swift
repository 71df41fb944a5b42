import Synchronization

/// Collects warnings of the environment.
package final class Warnings: Sendable {
    private let messages = Mutex<[String]>([])
    package init() {}
    package var all: [String] { messages.withLock { $0 } }
    package func add(_ message: String) { messages.withLock { $0.append(message) } }
}
