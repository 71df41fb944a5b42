import Dispatch
import NIOConcurrencyHelpers

/// Runs the client's async work to its end from a thread that may block: a Weir task thread, or
/// a command's main thread.
///
/// Source readers and sink writers are called synchronously on their task's own thread, which
/// is not one of Swift concurrency's cooperative threads, so blocking it while the work runs
/// elsewhere cannot starve the pool the work needs. Never call it from async code.
public func awaitOnTaskThread<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = NIOLockedValueBox<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        outcome.withLockedValue { $0 = result }
        done.signal()
    }
    done.wait()
    return try outcome.withLockedValue { $0! }.get()
}
