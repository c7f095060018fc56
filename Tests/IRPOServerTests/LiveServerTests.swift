import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IRPOBackends
import IRPOGeneration
@testable import IRPOServer
import XCTest

/// The server on a real loopback socket: `start()` on port 0, requests over HTTP, `shutdown()`.
final class LiveServerTests: XCTestCase {
    func testStartServesOverLoopbackAndShutdownCloses() async throws {
        let folder = try ServerHarness.makeModelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try OpenAIServer(modelPath: folder.path, configuration: .init(port: 0, modelName: "live"))
        let port = try await server.start()
        XCTAssertGreaterThan(port, 0)
        XCTAssertEqual(server.port, port)
        XCTAssertEqual(server.baseURL?.absoluteString, "http://127.0.0.1:\(port)/v1")
        do {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/completions")!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(#"{"model": "live", "prompt": "Q: 4+4=", "max_tokens": 10, "seed": 8}"#.utf8)
            let (data, response) = try await URLSession.shared.data(for: request)
            XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 200)
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            let text = JSONBody.choices(object).first?["text"] as? String
            let local = try LocalInferenceBackend(modelFolder: folder, batchSize: 1)
                .complete(prompts: ["Q: 4+4="], promptIDs: [0], parameters: GenerateParameters(maxNewTokens: 10, seed: 8),
                          samplesPerPrompt: 1, progress: { _, _ in })
            XCTAssertEqual(text, local[0][0].text)
        }
        await server.shutdown()
        XCTAssertNil(server.port)
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/models")!)
        request.timeoutInterval = 5
        do {
            _ = try await URLSession.shared.data(for: request)
            XCTFail("the server still answers after shutdown")
        } catch {
            // Connection refused: the listener is closed.
        }
    }

    func testStartFailsClearlyWhenThePortIsTaken() async throws {
        let folder = try ServerHarness.makeModelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try OpenAIServer(modelPath: folder.path, configuration: .init(port: 0, modelName: "a"))
        let port = try await first.start()
        let second = try OpenAIServer(modelPath: folder.path, configuration: .init(port: port, modelName: "b"))
        do {
            _ = try await second.start()
            XCTFail("two servers bound port \(port)")
            await second.shutdown()
        } catch let error as ServerError {
            XCTAssertTrue(error.message.contains("could not listen on 127.0.0.1:\(port)"), error.message)
        }
        await first.shutdown()
    }
}
