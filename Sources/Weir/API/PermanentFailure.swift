/// An error that a restart cannot mend — the same input or configuration fails the same way
/// again (a malformed record the job is told to fail on, a setting that cannot work). A task that
/// throws one with ``isPermanent`` ends the job at once, whatever the restart strategy; other
/// errors (a lost connection, a server that restarts) are restarted from the latest checkpoint.
public protocol PermanentFailure: Error {
    /// Whether this error (of a type whose cases differ) is permanent. Default true.
    var isPermanent: Bool { get }
}

extension PermanentFailure {
    /// Every error of a type that conforms is permanent, unless the type says otherwise per case.
    public var isPermanent: Bool { true }
}
