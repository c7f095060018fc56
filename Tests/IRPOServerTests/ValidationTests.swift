import Foundation
import Hummingbird
import HummingbirdTesting
@testable import IRPOServer
import XCTest

final class ValidationTests: XCTestCase {
    /// Expects a 400 with OpenAI's error object naming `param`.
    private static func assertInvalid(_ response: TestResponse, param: String?, code: String? = nil, mentions: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(response.status.code, 400, String(buffer: response.body), file: file, line: line)
        let error = try JSONBody.error(response)
        XCTAssertEqual(error["type"] as? String, "invalid_request_error", file: file, line: line)
        if let param {
            XCTAssertEqual(error["param"] as? String, param, file: file, line: line)
        } else {
            XCTAssertTrue(error["param"] is NSNull, "param should be null: \(error)", file: file, line: line)
        }
        if let code { XCTAssertEqual(error["code"] as? String, code, file: file, line: line) }
        let message = error["message"] as? String ?? ""
        XCTAssertTrue(message.contains(mentions), "message \(message.debugDescription) lacks \(mentions.debugDescription)",
                      file: file, line: line)
    }

    func testEachInvalidFieldGetsA400NamingIt() async throws {
        let harness = try ServerHarness(context: 64)
        defer { harness.remove() }
        try await harness.withClient { client in
            let path = "/v1/completions"
            try Self.assertInvalid(try await client.post(path, raw: "{\"prompt\": \"a\", "), param: nil, mentions: "not valid JSON")
            try Self.assertInvalid(try await client.post(path, raw: ""), param: nil, mentions: "empty")
            try Self.assertInvalid(try await client.post(path, raw: "[1, 2]"), param: nil, mentions: "wrong type")
            try Self.assertInvalid(try await client.post(path, ["prompt": "a", "n": 0]), param: "n", mentions: "n = 0")
            try Self.assertInvalid(try await client.post(path, ["prompt": "a", "n": "two"]), param: "n", mentions: "wrong type")
            try Self.assertInvalid(try await client.post(path, ["prompt": "a", "temperature": -0.5]), param: "temperature",
                                   mentions: "-0.5")
            try Self.assertInvalid(try await client.post(path, ["prompt": "a", "top_p": 0]), param: "top_p", mentions: "top_p")
            try Self.assertInvalid(try await client.post(path, ["prompt": "a", "max_tokens": 0]), param: "max_tokens",
                                   mentions: "max_tokens = 0")
            try Self.assertInvalid(try await client.post(path, ["prompt": "a", "max_tokens": 64]), param: "max_tokens",
                                   code: "context_length_exceeded", mentions: "64")
            try Self.assertInvalid(try await client.post(path, ["prompt": String(repeating: "x", count: 80)]), param: "prompt",
                                   code: "context_length_exceeded", mentions: "context")
            try Self.assertInvalid(try await client.post(path, ["prompt": ""]), param: "prompt", mentions: "empty")
            try Self.assertInvalid(try await client.post(path, ["prompt": [String]()]), param: "prompt", mentions: "empty")
            try Self.assertInvalid(try await client.post(path, ["prompt": [[Int]]()]), param: "prompt", mentions: "empty")
            try Self.assertInvalid(try await client.post(path, ["prompt": [1, 500]]), param: "prompt", mentions: "500")
            try Self.assertInvalid(try await client.post(path, ["prompt": 3]), param: "prompt", mentions: "must be a string")
            try Self.assertInvalid(try await client.post(path, ["n": 1]), param: "prompt", mentions: "missing")
            try Self.assertInvalid(try await client.post(path, ["prompt": "a", "stop": [""]]), param: "stop[0]", mentions: "stop")
            try Self.assertInvalid(try await client.post(path, ["prompt": "a", "echo": true]), param: "echo", mentions: "echo")
            try Self.assertInvalid(try await client.post(path, ["prompt": "a", "logprobs": 9]), param: "logprobs", mentions: "9")
            try Self.assertInvalid(try await client.post(path, ["prompt": "a", "presence_penalty": 1]), param: "presence_penalty",
                                   mentions: "presence_penalty")
            try Self.assertInvalid(try await client.post(path, ["prompt": ["a", "b"], "seed": 1, "irpo_prompt_id": [3]]),
                                   param: "irpo_prompt_id", mentions: "2 prompts")
            let chat = "/v1/chat/completions"
            try Self.assertInvalid(try await client.post(chat, ["messages": [[String: String]]()]), param: "messages", mentions: "empty")
            try Self.assertInvalid(try await client.post(chat, ["model": "x"]), param: "messages", mentions: "missing")
            try Self.assertInvalid(try await client.post(chat, ["messages": [["role": "user"]]]), param: "messages[0].content",
                                   mentions: "missing")
            try Self.assertInvalid(try await client.post(chat, ["messages": [["role": "user", "content": "a"]], "n": -1]),
                                   param: "n", mentions: "n = -1")
        }
    }

    func testUnknownRoutesAre404AndWrongMethodsAre405() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.withClient { client in
            let missing = try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: "{}"))
            XCTAssertEqual(missing.status.code, 404)
            XCTAssertEqual(try JSONBody.error(missing)["code"] as? String, "not_found")
            let wrongMethod = try await client.execute(uri: "/v1/completions", method: .get)
            XCTAssertEqual(wrongMethod.status.code, 405)
            XCTAssertEqual(try JSONBody.error(wrongMethod)["type"] as? String, "invalid_request_error")
        }
    }

    func testBodiesOverTheLimitAre413() async throws {
        let harness = try ServerHarness(maxBodyBytes: 200)
        defer { harness.remove() }
        try await harness.withClient { client in
            let big = try await client.post("/v1/completions", ["prompt": String(repeating: "y", count: 300), "max_tokens": 1])
            XCTAssertEqual(big.status.code, 413)
            XCTAssertEqual(try JSONBody.error(big)["code"] as? String, "request_too_large")
            XCTAssertTrue((try JSONBody.error(big)["message"] as? String ?? "").contains("200 bytes"))
            // Just under the limit is served.
            let small = try await client.post("/v1/completions", ["prompt": "y", "max_tokens": 1])
            XCTAssertEqual(small.status, .ok)
        }
    }

    func testModelsEndpointListsTheServedModel() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.withClient { client in
            let response = try await client.execute(uri: "/v1/models", method: .get)
            XCTAssertEqual(response.status, .ok)
            let object = try JSONBody.object(response)
            XCTAssertEqual(object["object"] as? String, "list")
            let models = object["data"] as? [[String: Any]] ?? []
            XCTAssertEqual(models.map { $0["id"] as? String }, ["tiny"])
            XCTAssertEqual(models.first?["object"] as? String, "model")
            XCTAssertEqual(models.first?["max_model_len"] as? Int, 128)
        }
    }

    func testConfigurationValidationNamesTheField() {
        XCTAssertThrowsError(try OpenAIServerConfiguration(port: 70_000, modelName: "m").validate()) { error in
            XCTAssertTrue("\(error)".contains("70000"))
        }
        XCTAssertThrowsError(try OpenAIServerConfiguration(modelName: "m", maxBatchSize: 0).validate()) { error in
            XCTAssertTrue("\(error)".contains("max batch size 0"))
        }
        XCTAssertNoThrow(try OpenAIServerConfiguration(port: 0, modelName: "m").validate())
    }
}
