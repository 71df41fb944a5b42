import Dispatch
import Foundation

/// A named thread that can be waited for: `join()` returns once its body has returned.
@usableFromInline final class JoinableThread: Sendable {
    @usableFromInline let finished = DispatchGroup()

    @usableFromInline init(name: String, _ body: @escaping @Sendable () -> Void) {
        finished.enter()
        let thread = Thread { [finished] in
            body()
            finished.leave()
        }
        thread.name = name
        thread.start()
    }

    @usableFromInline func join() { finished.wait() }
}
