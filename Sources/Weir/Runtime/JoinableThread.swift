import Dispatch
import Foundation

/// A named thread that can be waited for: `join()` returns once its body has returned.
final class JoinableThread: Sendable {
    private let finished = DispatchGroup()

    init(name: String, _ body: @escaping @Sendable () -> Void) {
        finished.enter()
        let thread = Thread { [finished] in
            body()
            finished.leave()
        }
        thread.name = name
        thread.start()
    }

    func join() { finished.wait() }
}
