/// A mutable value that only its task's thread touches, kept outside Swift's runtime
/// exclusivity checks.
///
/// Every access to a `var` property of a class costs a runtime access check
/// (`swift_beginAccess`, with a thread-local lookup) in whichever module the accessing code is
/// compiled — a user's job, once Weir's record path is inlined into it. On the record path that
/// was a quarter of the time. Operators, state tables and timer queues therefore keep their
/// mutable state in a `let` of this type: a `let` needs no check, and the pointer's `pointee`
/// has none. What the checks would have caught cannot happen there: such an object belongs to
/// one task thread, and none of its methods hands out an access that another one overlaps.
///
/// The owner frees the storage with ``release()`` in its `deinit`.
@usableFromInline
struct TaskConfined<Value> {
    @usableFromInline let storage: UnsafeMutablePointer<Value>

    @inlinable
    init(_ value: Value) {
        storage = .allocate(capacity: 1)
        storage.initialize(to: value)
    }

    @inlinable
    var value: Value {
        _read { yield storage.pointee }
        nonmutating _modify { yield &storage.pointee }
    }

    @inlinable
    func release() {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }
}
