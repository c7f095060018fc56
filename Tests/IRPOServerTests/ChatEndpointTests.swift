import Foundation
import Hummingbird
import HummingbirdTesting
import IRPOGeneration
@testable import IRPOServer
import IRPOTokenizer
import XCTest

final class ChatEndpointTests: XCTestCase {
    func testChatUsesThePlainFormatWithoutATemplateAndMatchesTheLocalEngine() async throws {
        let harness = try ServerHarness()
        defer { harness.remove() }
        let messages = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Q: 6+1=")]
        let prompt = ChatFormatter.plainText(messages)
        XCTAssertEqual(prompt, "system: Be brief.\nuser: Q: 6+1=\nassistant:")
        let parameters = GenerateParameters(temperature: 0.8, maxNewTokens: 16, seed: 11)
        let expected = try harness.localBackend().complete(prompts: [prompt], promptIDs: [42], parameters: parameters,
                                                           samplesPerPrompt: 2, progress: { _, _ in })
        try await harness.withClient { client in
            let response = try await client.post("/v1/chat/completions", [
                "model": "tiny", "n": 2, "temperature": 0.8, "max_tokens": 16, "seed": 11, "irpo_prompt_id": 42,
                "messages": [["role": "system", "content": "Be brief."],
                             ["role": "user", "content": [["type": "text", "text": "Q: 6+1="]]]],
            ])
            XCTAssertEqual(response.status, .ok)
            let object = try JSONBody.object(response)
            XCTAssertEqual(object["object"] as? String, "chat.completion")
            XCTAssertTrue((object["id"] as? String ?? "").hasPrefix("chatcmpl-"))
            let choices = JSONBody.choices(object)
            XCTAssertEqual(choices.count, 2)
            for (i, choice) in choices.enumerated() {
                let message = choice["message"] as? [String: Any] ?? [:]
                XCTAssertEqual(message["role"] as? String, "assistant")
                XCTAssertEqual(message["content"] as? String, expected[0][i].text)
                XCTAssertEqual(choice["finish_reason"] as? String, openAIFinishReason(expected[0][i].finishReason))
            }
            let usage = object["usage"] as? [String: Int] ?? [:]
            XCTAssertEqual(usage["prompt_tokens"], CharacterTokenizer().encodePrompt(prompt).count)
            XCTAssertEqual(usage["completion_tokens"], expected[0].reduce(0) { $0 + $1.tokenCount })
        }
    }

    func testTemplateFormatterRendersTheModelsChatTemplate() throws {
        // The tokenizer fixture of IRPOTokenizerTests (a trimmed Qwen2 BPE with <|im_start|> = 0),
        // with a ChatML template in its configuration.
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("IRPOTokenizerTests/Fixtures/qwen2-bpe/tokenizer.json")
        let config: [String: Any] = [
            "chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|eot_id|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
        ]
        let tokenizer = try Tokenizer(tokenizerJSON: Data(contentsOf: file),
                                      tokenizerConfig: JSONSerialization.data(withJSONObject: config))
        let ids = try ChatFormatter.template(tokenizer).promptTokens(for: [ChatMessage(role: "user", content: "hi")])
        let expected = tokenizer.encode("<|im_start|>user\nhi<|eot_id|>\n<|im_start|>assistant\n", addSpecialTokens: false)
        XCTAssertEqual(ids.map(Int.init), expected)
        XCTAssertEqual(ids.first, 0)
        XCTAssertEqual(ids.filter { $0 == 0 }.count, 2)
        XCTAssertEqual(ids.filter { $0 == 4 }.count, 1)
    }
}
