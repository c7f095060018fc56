import Foundation
import Hummingbird
import HummingbirdTesting
import IRPOGeneration
@testable import IRPOServer
import IRPOTokenizer
import XCTest

final class CompletionsEndpointTests: XCTestCase {
    func testSeededCompletionsEqualTheLocalEngineForEveryPromptAndSample() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        let prompts = ["Q: 12+7=", "Q: 3*4=", "hello"]
        let ids = [40, 7, 1234]
        let parameters = GenerateParameters(temperature: 0.9, topP: 0.95, maxNewTokens: 20, seed: 77)
        let expected = try harness.localBackend().complete(prompts: prompts, promptIDs: ids, parameters: parameters,
                                                           samplesPerPrompt: 3, progress: { _, _ in })
        try await harness.withClient { client in
            let response = try await client.post("/v1/completions", [
                "model": "tiny", "prompt": prompts, "n": 3, "temperature": 0.9, "top_p": 0.95, "max_tokens": 20,
                "seed": 77, "irpo_prompt_id": ids,
            ])
            XCTAssertEqual(response.status, .ok)
            let object = try JSONBody.object(response)
            XCTAssertEqual(object["object"] as? String, "text_completion")
            XCTAssertEqual(object["model"] as? String, "tiny")
            XCTAssertTrue((object["id"] as? String ?? "").hasPrefix("cmpl-"))
            let choices = JSONBody.choices(object)
            XCTAssertEqual(choices.map { $0["index"] as? Int ?? -1 }, Array(0..<9))
            for p in 0..<3 {
                for i in 0..<3 {
                    let choice = choices[p * 3 + i]
                    XCTAssertEqual(choice["text"] as? String, expected[p][i].text, "prompt \(p) sample \(i)")
                    XCTAssertEqual(choice["finish_reason"] as? String, openAIFinishReason(expected[p][i].finishReason))
                }
            }
            // The samples of one prompt differ (seeded streams per sample index).
            XCTAssertGreaterThan(Set(choices.prefix(3).compactMap { $0["text"] as? String }).count, 1)
            let usage = object["usage"] as? [String: Int] ?? [:]
            let promptTokens = prompts.reduce(0) { $0 + CharacterTokenizer().encodePrompt($1).count }
            let completionTokens = expected.joined().reduce(0) { $0 + $1.tokenCount }
            XCTAssertEqual(usage["prompt_tokens"], promptTokens)
            XCTAssertEqual(usage["completion_tokens"], completionTokens)
            XCTAssertEqual(usage["total_tokens"], promptTokens + completionTokens)
        }
    }

    func testWithoutPromptIDsTheSeedUsesThePromptPosition() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        let parameters = GenerateParameters(temperature: 1, maxNewTokens: 16, seed: 5)
        let expected = try harness.localBackend().complete(prompts: ["abc", "xyz"], promptIDs: [0, 1], parameters: parameters,
                                                           samplesPerPrompt: 2, progress: { _, _ in })
        try await harness.withClient { client in
            let object = try JSONBody.object(try await client.post("/v1/completions", [
                "prompt": ["abc", "xyz"], "n": 2, "max_tokens": 16, "seed": 5,
            ]))
            XCTAssertEqual(JSONBody.choices(object).map { $0["text"] as? String ?? "?" }, expected.joined().map(\.text))
            // The same request again gives the same samples.
            let again = try JSONBody.object(try await client.post("/v1/completions", [
                "prompt": ["abc", "xyz"], "n": 2, "max_tokens": 16, "seed": 5,
            ]))
            XCTAssertEqual(JSONBody.choices(again).map { $0["text"] as? String ?? "?" }, expected.joined().map(\.text))
        }
    }

    func testAddSpecialTokensFalseEncodesTheTextWithoutBOS() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        let text = "Q: 9-4="
        let withoutBOS = CharacterTokenizer().encode(text).map(Int.init)
        try await harness.withClient { client in
            let plain = try JSONBody.object(try await client.post("/v1/completions", [
                "prompt": text, "max_tokens": 12, "seed": 3, "temperature": 0.7, "add_special_tokens": false,
            ]))
            let byIDs = try JSONBody.object(try await client.post("/v1/completions", [
                "prompt": withoutBOS, "max_tokens": 12, "seed": 3, "temperature": 0.7,
            ]))
            XCTAssertEqual((plain["usage"] as? [String: Int])?["prompt_tokens"], withoutBOS.count)
            XCTAssertEqual(JSONBody.choices(plain).map { $0["text"] as? String }, JSONBody.choices(byIDs).map { $0["text"] as? String })
            let bad = try await client.post("/v1/completions", ["prompt": text, "add_special_tokens": "no"])
            XCTAssertEqual(bad.status, .badRequest)
        }
    }

    func testTokenIDPromptsMatchTheirTextAndSingleIDListsAreOnePrompt() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        let ids = CharacterTokenizer().encodePrompt("Q: 9-4=").map(Int.init)
        try await harness.withClient { client in
            let byText = try JSONBody.object(try await client.post("/v1/completions", [
                "prompt": "Q: 9-4=", "max_tokens": 12, "seed": 3, "temperature": 0.7,
            ]))
            let byIDs = try JSONBody.object(try await client.post("/v1/completions", [
                "prompt": ids, "max_tokens": 12, "seed": 3, "temperature": 0.7,
            ]))
            let byIDLists = try JSONBody.object(try await client.post("/v1/completions", [
                "prompt": [ids, ids], "max_tokens": 12, "seed": 3, "temperature": 0.7, "irpo_prompt_id": [0, 0],
            ]))
            let text = JSONBody.choices(byText).first?["text"] as? String
            XCTAssertNotNil(text)
            XCTAssertEqual(JSONBody.choices(byIDs).map { $0["text"] as? String }, [text])
            XCTAssertEqual(JSONBody.choices(byIDLists).map { $0["text"] as? String }, [text, text])
        }
    }

    func testStopStringsCutTheTextAndReportStop() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.withClient { client in
            let free = try JSONBody.object(try await client.post("/v1/completions", [
                "prompt": "Q: 1+2=", "max_tokens": 24, "temperature": 0,
            ]))
            let full = JSONBody.choices(free).first?["text"] as? String ?? ""
            XCTAssertGreaterThanOrEqual(full.count, 6, "greedy text too short to pick a stop string: \(full.debugDescription)")
            // A stop string taken from the middle of the greedy text.
            let characters = Array(full)
            let stop = String(characters[3...4])
            guard let range = full.range(of: stop) else { return XCTFail("stop string not in text") }
            let cut = String(full[..<range.lowerBound])
            for stopField in [stop as Any, ["zzzz", stop] as Any] {
                let object = try JSONBody.object(try await client.post("/v1/completions", [
                    "prompt": "Q: 1+2=", "max_tokens": 24, "temperature": 0, "stop": stopField,
                ]))
                let choice = JSONBody.choices(object).first ?? [:]
                XCTAssertEqual(choice["text"] as? String, cut)
                XCTAssertEqual(choice["finish_reason"] as? String, "stop")
            }
        }
    }

    func testMaxTokensEndsWithLengthAndDefaultsToTheServerSetting() async throws {
        let harness = try ServerHarness(defaultMaxTokens: 5)
        defer { harness.remove() }
        // A prompt whose greedy continuation does not hit EOS within 5 tokens (checked locally).
        let local = try harness.localBackend().complete(prompts: ["Q: 5*5="], promptIDs: [0], parameters: .greedy(maxNewTokens: 5),
                                                        samplesPerPrompt: 1, progress: { _, _ in })
        try await harness.withClient { client in
            let object = try JSONBody.object(try await client.post("/v1/completions", [
                "prompt": "Q: 5*5=", "temperature": 0,
            ]))
            let choice = JSONBody.choices(object).first ?? [:]
            XCTAssertEqual(choice["text"] as? String, local[0][0].text)
            XCTAssertEqual(choice["finish_reason"] as? String, openAIFinishReason(local[0][0].finishReason))
            XCTAssertEqual((object["usage"] as? [String: Int])?["completion_tokens"], local[0][0].tokenCount)
            XCTAssertLessThanOrEqual(local[0][0].tokenCount, 5)
        }
    }

    func testLogprobsCarryOneValuePerSampledToken() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        try await harness.withClient { client in
            let object = try JSONBody.object(try await client.post("/v1/completions", [
                "prompt": "Q: 2+2=", "max_tokens": 8, "seed": 1, "logprobs": 1,
            ]))
            let choice = JSONBody.choices(object).first ?? [:]
            let logprobs = choice["logprobs"] as? [String: Any] ?? [:]
            let values = logprobs["token_logprobs"] as? [Double] ?? []
            let tokens = logprobs["tokens"] as? [String] ?? []
            XCTAssertEqual(values.count, (object["usage"] as? [String: Int])?["completion_tokens"])
            XCTAssertEqual(tokens.count, values.count)
            XCTAssertTrue(values.allSatisfy { $0 <= 0 && $0.isFinite })
            XCTAssertEqual(tokens.joined().hasPrefix(choice["text"] as? String ?? "?"), true)
            // Without logprobs the field is null.
            let plain = try JSONBody.object(try await client.post("/v1/completions", ["prompt": "Q: 2+2=", "max_tokens": 4]))
            XCTAssertTrue(JSONBody.choices(plain).first?["logprobs"] is NSNull)
        }
    }
}
