import Foundation
import IRPOBackends
import XCTest

/// `OpenAICompatibleServerReload`: the command runs, then the server is polled until it answers.
final class ServerReloadTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testServerReloadRunsTheCommandThenFailsWhenNothingAnswers() throws {
        let marker = folder.appendingPathComponent("reloaded")
        var hook = OpenAICompatibleServerReload(command: ["/bin/sh", "-c", "echo serving $0 > \"\(marker.path)\"", "{model}"],
                                                readinessURL: "http://127.0.0.1:9/v1/models", timeoutSeconds: 0.3)
        hook.pollIntervalSeconds = 0.05
        try hook.validate()
        XCTAssertThrowsError(try hook.run(model: URL(fileURLWithPath: "/models/m1"), iteration: 1) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("was not ready within"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOf: marker, encoding: .utf8), "serving /models/m1\n")
    }

    func testServerReloadReturnsWhenTheServerAnswers() throws {
        let server = try FaultInjectionServer { _, _ in .answer }
        defer { server.stop() }
        // The fault server has no /v1/models route but answers POST /v1/completions; poll a route it serves with GET -> 404 first.
        var hook = OpenAICompatibleServerReload(command: [], readinessURL: "\(server.baseURL)/v1/models", timeoutSeconds: 0.5)
        hook.pollIntervalSeconds = 0.05
        XCTAssertThrowsError(try hook.waitUntilReady()) { error in
            XCTAssertTrue("\(error)".contains("HTTP 404"), "\(error)")
        }
        hook.readinessURL = "\(server.baseURL)/ready"
        XCTAssertNoThrow(try hook.waitUntilReady())
    }
}
