import Foundation
import Hummingbird
import HummingbirdTesting
@testable import IRPOServer
import XCTest

final class StreamingTests: XCTestCase {
    func testCompletionStreamConcatenatesToTheNonStreamedText() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.withClient { client in
            let request: [String: Any] = ["prompt": ["Q: 8+8=", "abc"], "n": 2, "max_tokens": 20, "seed": 9, "temperature": 0.9,
                                          "stop": "="]
            let plain = JSONBody.choices(try JSONBody.object(try await client.post("/v1/completions", request)))
            var streamRequest = request
            streamRequest["stream"] = true
            streamRequest["stream_options"] = ["include_usage": true]
            let response = try await client.post("/v1/completions", streamRequest)
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual(response.headers[.contentType], "text/event-stream")
            let events = JSONBody.events(response)
            XCTAssertEqual(events.last, "[DONE]")
            var texts = [String](repeating: "", count: 4)
            var reasons = [String?](repeating: nil, count: 4)
            var usage: [String: Int]?
            for payload in events.dropLast() {
                let chunk = JSONBody.parse(payload)
                XCTAssertEqual(chunk["object"] as? String, "text_completion", payload)
                if let value = chunk["usage"] as? [String: Int] { usage = value }
                for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                    let index = choice["index"] as? Int ?? -1
                    XCTAssertTrue((0..<4).contains(index))
                    guard (0..<4).contains(index) else { continue }
                    XCTAssertNil(reasons[index], "text after the finish reason of choice \(index)")
                    texts[index] += choice["text"] as? String ?? ""
                    reasons[index] = choice["finish_reason"] as? String
                }
            }
            XCTAssertEqual(texts, plain.map { $0["text"] as? String ?? "?" })
            XCTAssertEqual(reasons, plain.map { $0["finish_reason"] as? String })
            XCTAssertNotNil(usage?["completion_tokens"])
        }
    }

    func testChatStreamSendsRoleThenDeltasThatEqualTheMessage() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.withClient { client in
            let request: [String: Any] = ["messages": [["role": "user", "content": "Q: 3+3="]], "n": 2, "max_tokens": 16,
                                          "seed": 4]
            let plain = JSONBody.choices(try JSONBody.object(try await client.post("/v1/chat/completions", request)))
            var streamRequest = request
            streamRequest["stream"] = true
            let events = JSONBody.events(try await client.post("/v1/chat/completions", streamRequest))
            XCTAssertEqual(events.last, "[DONE]")
            var roles = [String?](repeating: nil, count: 2)
            var contents = ["", ""]
            var reasons = [String?](repeating: nil, count: 2)
            for payload in events.dropLast() {
                let chunk = JSONBody.parse(payload)
                XCTAssertEqual(chunk["object"] as? String, "chat.completion.chunk", payload)
                XCTAssertNil(chunk["usage"] as? [String: Int], "usage sent without stream_options.include_usage")
                for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                    let index = choice["index"] as? Int ?? -1
                    guard (0..<2).contains(index) else { XCTFail("bad index in \(payload)"); continue }
                    let delta = choice["delta"] as? [String: Any] ?? [:]
                    if let role = delta["role"] as? String {
                        XCTAssertTrue(contents[index].isEmpty, "role after content")
                        roles[index] = role
                    }
                    contents[index] += delta["content"] as? String ?? ""
                    if let reason = choice["finish_reason"] as? String { reasons[index] = reason }
                }
            }
            XCTAssertEqual(roles, ["assistant", "assistant"])
            XCTAssertEqual(contents, plain.map { ($0["message"] as? [String: Any])?["content"] as? String ?? "?" })
            XCTAssertEqual(reasons, plain.map { $0["finish_reason"] as? String })
        }
    }
}
