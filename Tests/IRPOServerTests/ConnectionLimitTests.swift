import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
@testable import IRPOServer
import XCTest

/// Idle connections and requests whose headers never finish are closed after the idle timeout,
/// connections past the cap are closed at once; the server keeps serving.
final class ConnectionLimitTests: XCTestCase {
    /// A blocking loopback TCP connection to `port`, open until `close()` (or deinit).
    ///
    /// Tests close connections explicitly: an optimised build may end an object's lifetime at
    /// its last use, so a connection that is only held in a variable could close early.
    private final class Connection {
        private(set) var descriptor: Int32

        init(port: Int) throws {
            #if canImport(Glibc)
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #else
            descriptor = socket(AF_INET, SOCK_STREAM, 0)
            #endif
            guard descriptor >= 0 else { throw ServerError("socket() failed") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw ServerError("connect() failed") }
            var timeout = timeval(tv_sec: 20, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        func send(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        }

        /// Seconds until the server closes the connection (read returns 0), or nil after 20 s.
        func secondsUntilClosed() -> Double? {
            let start = Date()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count == 0 { return Date().timeIntervalSince(start) }
                if count < 0 { return nil }
            }
        }

        /// Everything the server sends until it closes the connection.
        func readAll() -> String {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count <= 0 { break }
                bytes += buffer[0..<count]
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// Closes the socket (once).
        func close() {
            guard descriptor >= 0 else { return }
            closeSocket(descriptor)
            descriptor = -1
        }

        deinit { close() }
    }

    func testIdleAndUnfinishedRequestsAreClosed() async throws {
        let folder = try ServerHarness.makeModelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try OpenAIServer(modelPath: folder.path, configuration: .init(port: 0, modelName: "idle", idleTimeoutSeconds: 1))
        let port = try await server.start()
        let idle = try Connection(port: port)
        let slow = try Connection(port: port)
        slow.send("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n")
        for (name, connection) in [("idle", idle), ("unfinished headers", slow)] {
            let seconds = connection.secondsUntilClosed()
            XCTAssertNotNil(seconds, "\(name): still open after 20 s")
            XCTAssertLessThan(seconds ?? 99, 10, name)
        }
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/completions")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"prompt": "ab", "max_tokens": 2, "seed": 1}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 200)
        await server.shutdown()
    }

    func testConnectionsPastTheCapAreClosedAndPlacesFreeUp() async throws {
        let folder = try ServerHarness.makeModelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try OpenAIServer(modelPath: folder.path, configuration: .init(port: 0, modelName: "cap", maxConnections: 2))
        let port = try await server.start()
        let held = [try Connection(port: port), try Connection(port: port)]
        // Wait until the server has accepted both.
        for _ in 0..<100 where server.connections.openCount < 2 { try await Task.sleep(nanoseconds: 20_000_000) }
        XCTAssertEqual(server.connections.openCount, 2)
        let refused = try Connection(port: port)
        let seconds = refused.secondsUntilClosed()
        refused.close()
        XCTAssertNotNil(seconds, "the third connection stayed open")
        XCTAssertLessThan(seconds ?? 99, 5)
        XCTAssertEqual(server.connections.openCount, 2)
        for connection in held { connection.close() }
        for _ in 0..<100 where server.connections.openCount > 0 { try await Task.sleep(nanoseconds: 20_000_000) }
        XCTAssertEqual(server.connections.openCount, 0)
        let fresh = try Connection(port: port)
        fresh.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        XCTAssertTrue(fresh.readAll().hasPrefix("HTTP/1.1 200"))
        await server.shutdown()
    }

    func testIdleTimeoutIsValidated() {
        for bad in [0, -1, .infinity, .nan, ServerLimits.maxIdleTimeoutSeconds * 2] {
            XCTAssertThrowsError(try OpenAIServerConfiguration(modelName: "m", idleTimeoutSeconds: bad).validate(), "\(bad)")
        }
        for bad in [0, ServerLimits.maxConnections + 1] {
            XCTAssertThrowsError(try OpenAIServerConfiguration(modelName: "m", maxConnections: bad).validate(), "\(bad)")
        }
    }
}

/// Closes a socket descriptor (outside the class, where `close` would name the method).
private func closeSocket(_ descriptor: Int32) {
    _ = close(descriptor)
}
