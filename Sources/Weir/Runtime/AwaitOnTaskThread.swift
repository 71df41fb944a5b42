import Dispatch
import Synchronization

/// Runs async work to its end from a thread that may block: a Weir task thread, or a
/// command's main thread. The one bridge from Weir's synchronous task threads into Swift
/// concurrency; every connector uses it (WeirKafka's client, WeirPostgres's connection).
///
/// Source readers and sink writers are called synchronously on their task's own thread, which
/// is not one of Swift concurrency's cooperative threads, so blocking it while the work runs
/// elsewhere cannot starve the pool the work needs. Never call it from async code: blocking a
/// cooperative thread can deadlock the pool.
public func awaitOnTaskThread<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        outcome.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    return try outcome.withLock { $0! }.get()
}
