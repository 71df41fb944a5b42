/// Hands the environment to the thread that runs the job; the caller is suspended meanwhile,
/// so the environment is used by one thread at a time.
@usableFromInline struct UncheckedEnvironment: @unchecked Sendable {
    @usableFromInline let environment: StreamEnvironment
}
