import Foundation
import Hummingbird
import HummingbirdTesting
@testable import IRPOServer
import XCTest

/// Requests that once crashed the server or asked it for unbounded work: each gets a clean
/// OpenAI error naming the value and the limit, and the server then serves a good request.
final class HostileRequestTests: XCTestCase {
    private static let completions = "/v1/completions"
    private static let chat = "/v1/chat/completions"

    /// Expects `status` with OpenAI's error object whose message mentions every string of `mentions`.
    private static func assertError(_ response: TestResponse, status: Int, param: String?, code: String? = nil,
                                    mentions: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(response.status.code, status, String(buffer: response.body), file: file, line: line)
        let error = try JSONBody.error(response)
        if let param { XCTAssertEqual(error["param"] as? String, param, file: file, line: line) }
        if let code { XCTAssertEqual(error["code"] as? String, code, file: file, line: line) }
        let message = error["message"] as? String ?? ""
        for piece in mentions {
            XCTAssertTrue(message.contains(piece), "message \(message.debugDescription) lacks \(piece.debugDescription)",
                          file: file, line: line)
        }
    }

    /// A small request that must succeed after each hostile one.
    private static func assertServes(_ client: any TestClientProtocol, file: StaticString = #filePath, line: UInt = #line) async throws {
        let response = try await client.post(completions, ["prompt": "ab", "max_tokens": 2, "seed": 1])
        XCTAssertEqual(response.status, .ok, String(buffer: response.body), file: file, line: line)
        XCTAssertEqual(JSONBody.choices(try JSONBody.object(response)).count, 1, file: file, line: line)
    }

    func testHugeMaxTokensIsA400NotATrap() async throws {
        let harness = try ServerHarness(context: 64)
        defer { harness.remove() }
        try await harness.withClient { client in
            let huge = Int.max
            for key in ["max_tokens", "max_completion_tokens"] {
                try Self.assertError(try await client.post(Self.completions, ["prompt": "ab", key: huge]), status: 400, param: key,
                                     code: "context_length_exceeded", mentions: ["\(key) = \(huge)", "64"])
                try await Self.assertServes(client)
                try Self.assertError(try await client.post(Self.chat, ["messages": [["role": "user", "content": "hi"]], key: huge]),
                                     status: 400, param: key, code: "context_length_exceeded", mentions: ["\(huge)", "64"])
                try await Self.assertServes(client)
                // Streaming requests are checked before the headers go out.
                try Self.assertError(try await client.post(Self.completions, ["prompt": "ab", key: huge, "stream": true]), status: 400,
                                     param: key, mentions: ["\(huge)"])
                try await Self.assertServes(client)
            }
            try Self.assertError(try await client.post(Self.completions, ["prompt": "ab", "max_tokens": Int.min]), status: 400,
                                 param: "max_tokens", mentions: ["\(Int.min)"])
            try await Self.assertServes(client)
        }
    }

    func testHugeNIsA400NamingTheLimit() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.withClient { client in
            let limit = "\(ServerLimits.maxSamplesPerPrompt)"
            for n in [1 << 62, Int.max, ServerLimits.maxSamplesPerPrompt + 1] {
                try Self.assertError(try await client.post(Self.completions, ["prompt": ["a", "b"], "n": n, "max_tokens": 1]),
                                     status: 400, param: "n", mentions: ["n = \(n)", limit])
                try await Self.assertServes(client)
                try Self.assertError(try await client.post(Self.completions, ["prompt": [[5, 6], [7]], "n": n, "best_of": n]),
                                     status: 400, param: "n", mentions: ["n = \(n)", limit])
                try Self.assertError(try await client.post(Self.chat, ["messages": [["role": "user", "content": "hi"]], "n": n]),
                                     status: 400, param: "n", mentions: ["n = \(n)", limit])
                try await Self.assertServes(client)
            }
            // Within n's limit but over the choices per request.
            let prompts = Array(repeating: "a", count: 16)
            try Self.assertError(try await client.post(Self.completions, ["prompt": prompts, "n": 128, "max_tokens": 1]),
                                 status: 400, param: "n", mentions: ["2048", "1024"])
            try await Self.assertServes(client)
        }
    }

    func testTooManyPromptsIsA400NamingTheLimit() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.withClient { client in
            let count = ServerLimits.maxPromptsPerRequest + 1
            try Self.assertError(try await client.post(Self.completions, ["prompt": Array(repeating: "a", count: count), "max_tokens": 1]),
                                 status: 400, param: "prompt", mentions: ["\(count) prompts", "\(ServerLimits.maxPromptsPerRequest)"])
            try Self.assertError(try await client.post(Self.completions, ["prompt": Array(repeating: [5], count: count), "max_tokens": 1]),
                                 status: 400, param: "prompt", mentions: ["\(count) prompts"])
            try await Self.assertServes(client)
        }
    }

    func testStopSequencesAreBounded() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.withClient { client in
            let many = (0...ServerLimits.maxStopSequences).map { "s\($0)" }
            try Self.assertError(try await client.post(Self.completions, ["prompt": "ab", "stop": many]), status: 400, param: "stop",
                                 mentions: ["\(many.count) sequences", "\(ServerLimits.maxStopSequences)"])
            let long = String(repeating: "z", count: ServerLimits.maxStopBytes + 1)
            try Self.assertError(try await client.post(Self.chat, ["messages": [["role": "user", "content": "hi"]], "stop": ["a", long]]),
                                 status: 400, param: "stop[1]", mentions: ["\(ServerLimits.maxStopBytes)"])
            try await Self.assertServes(client)
            let four = try await client.post(Self.completions, ["prompt": "ab", "max_tokens": 2, "stop": ["w", "x", "y", "z"]])
            XCTAssertEqual(four.status, .ok)
        }
    }

    func testUnknownModelIs404ModelNotFound() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.withClient { client in
            try Self.assertError(try await client.post(Self.completions, ["prompt": "a", "model": "gpt-4"]), status: 404,
                                 param: "model", code: "model_not_found", mentions: ["gpt-4", "tiny"])
            let chat = try await client.post(Self.chat, ["messages": [["role": "user", "content": "hi"]], "model": "gpt-4"])
            try Self.assertError(chat, status: 404, param: "model", code: "model_not_found", mentions: ["gpt-4"])
            XCTAssertEqual(try JSONBody.error(chat)["type"] as? String, "invalid_request_error")
            // The served name is accepted.
            let named = try await client.post(Self.completions, ["prompt": "a", "model": "tiny", "max_tokens": 1])
            XCTAssertEqual(named.status, .ok)
        }
    }

    func testAFullQueueIs429UntilAPlaceFrees() async throws {
        let harness = try ServerHarness(maxQueuedRequests: 1)
        defer { harness.remove() }
        let scheduler = harness.server.scheduler
        try await harness.withClient { client in
            // Hold the only place, as a long request would.
            try scheduler.admit()
            for stream in [false, true] {
                try Self.assertError(try await client.post(Self.completions, ["prompt": "ab", "max_tokens": 2, "stream": stream]),
                                     status: 429, param: nil, code: "rate_limit_exceeded", mentions: ["1 requests", "retry"])
            }
            XCTAssertEqual(scheduler.admittedCount, 1)
            scheduler.release()
            try await Self.assertServes(client)
            let streamed = try await client.post(Self.completions, ["prompt": "ab", "max_tokens": 2, "stream": true])
            XCTAssertEqual(streamed.status, .ok)
            XCTAssertEqual(JSONBody.events(streamed).last, "[DONE]")
            // Every finished request gave its place back.
            XCTAssertEqual(scheduler.admittedCount, 0)
        }
    }

    func testDeeplyNestedBodiesAreA400() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.withClient { client in
            let depth = 200_000
            let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            for (path, body) in [(Self.completions, "{\"prompt\": \(deep)}"), (Self.chat, "{\"messages\": \(deep)}"),
                                 (Self.completions, "{\"prompt\": \"a\", \"stop\": \(deep)}"), (Self.completions, deep)] {
                let response = try await client.post(path, raw: body)
                XCTAssertEqual(response.status.code, 400, String(String(buffer: response.body).prefix(300)))
                try await Self.assertServes(client)
            }
        }
    }

    func testConfigurationRejectsOutOfRangeLimits() {
        XCTAssertThrowsError(try OpenAIServerConfiguration(modelName: "m", maxBatchSize: 1 << 62).validate()) { error in
            XCTAssertTrue("\(error)".contains("\(1 << 62)") && "\(error)".contains("\(ServerLimits.maxBatchSize)"), "\(error)")
        }
        XCTAssertThrowsError(try OpenAIServerConfiguration(modelName: "m", maxBodyBytes: Int.max).validate())
        XCTAssertThrowsError(try OpenAIServerConfiguration(modelName: "m", maxQueuedRequests: 0).validate()) { error in
            XCTAssertTrue("\(error)".contains("max queued requests 0"), "\(error)")
        }
        XCTAssertThrowsError(try OpenAIServerConfiguration(modelName: "m", maxChoicesPerRequest: Int.max).validate())
        XCTAssertNoThrow(try OpenAIServerConfiguration(modelName: "m").validate())
    }
}
