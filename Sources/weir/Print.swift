import Foundation

/// The tool's `print`: each call goes out at once, also into a pipe or a log file, so that
/// progress lines and the metrics address do not wait in a buffer until the job ends (Swift's
/// `print` buffers when standard output is not a terminal). A reader that went away
/// (`weir run | head`) loses the rest of the output, and the job goes on.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator) + terminator
    try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
}
