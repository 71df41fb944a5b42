import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ports on 127.0.0.1 for the servers tests start (brokers, object stores).
package enum LoopbackPort {
    /// A port the kernel just handed out (bound to port 0, then released); `nil` if none.
    package static func free() -> Int? {
        withSocket(port: 0) { socket, address in
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            guard bind(socket, address, length) == 0, getsockname(socket, address, &length) == 0 else { return nil as Int? }
            return Int(UInt16(bigEndian: address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }))
        }
    }

    /// Whether something accepts connections on `port`.
    package static func accepts(_ port: Int) -> Bool {
        withSocket(port: port) { socket, address in connect(socket, address, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }

    /// A TCP socket and the address 127.0.0.1:`port`, for `body`; the socket is closed after.
    private static func withSocket<Result>(port: Int, _ body: (Int32, UnsafeMutablePointer<sockaddr>) -> Result) -> Result {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(socket, $0) }
        }
    }
}
