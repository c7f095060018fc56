import Foundation
import IRPOLoading
import IRPOPipeline
import IRPOTasks
import IRPOTokenizer
import XCTest

/// `task.chat`: prompts wrapped in the seed model's chat template.
final class PromptFormatterTests: XCTestCase {
    private let item = TaskItem(id: "q1", question: "Ann has 2 pens. She buys 1 more. How many does Ann have now?",
                                goldAnswer: "3", goldSolution: "2+1=3. Final answer: 3")

    /// A model folder with a character-level BPE tokenizer.json (no merges), `<s>` as BOS, and
    /// optionally a chat template file.
    private func folder(template: String?) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-prompt-formatter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        var vocab: [String: Int] = ["<s>": 0, "</s>": 1, "<unk>": 2]
        for scalar in (32...126).compactMap(UnicodeScalar.init) { vocab[String(Character(scalar))] = vocab.count }
        vocab["\n"] = vocab.count
        let json: [String: Any] = [
            "model": ["type": "BPE", "vocab": vocab, "merges": [String](), "unk_token": "<unk>"],
            "added_tokens": [
                ["id": 0, "content": "<s>", "special": true, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false],
                ["id": 1, "content": "</s>", "special": true, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false],
            ],
            "post_processor": ["type": "TemplateProcessing",
                               "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                               "pair": [["Sequence": ["id": "A", "type_id": 0]]],
                               "special_tokens": ["<s>": ["id": "<s>", "ids": [0], "tokens": ["<s>"]]]],
        ]
        try JSONSerialization.data(withJSONObject: json).write(to: url.appendingPathComponent("tokenizer.json"))
        try Data(#"{"bos_token": "<s>", "eos_token": "</s>"}"#.utf8).write(to: url.appendingPathComponent("tokenizer_config.json"))
        if let template { try Data(template.utf8).write(to: url.appendingPathComponent("chat_template.jinja")) }
        return url
    }

    func testRawPromptWithoutChat() throws {
        let formatter = try PromptFormatter.load(template: .syntheticArithmetic, chat: false, modelFolder: URL(fileURLWithPath: "/nonexistent"))
        XCTAssertEqual(try formatter.render(item: item), try PromptTemplate.syntheticArithmetic.render(item: item, wrap: nil))
        XCTAssertEqual(formatter.completionSeparator, PromptTemplate.syntheticArithmetic.completionSeparator)
    }

    func testChatWrapsThePromptAsAUserMessage() throws {
        let template = "{{ bos_token }}{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}</s>{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"
        let model = try folder(template: template)
        let formatter = try PromptFormatter.load(template: .syntheticArithmetic, chat: true, modelFolder: model)
        let raw = try PromptTemplate.syntheticArithmetic.render(item: item, wrap: nil)
        let text = try formatter.render(item: item)
        XCTAssertEqual(text, "<s><user>\(raw)</s><assistant>")
        XCTAssertEqual(formatter.completionSeparator, "", "the assistant turn starts right after its header")
        // The template writes BOS itself: the prompt's ids carry one BOS, not two.
        let tokenizer = try XCTUnwrap(ModelSource(path: model.path).textTokenizer(endOfSequence: 1, promptsIncludeSpecialTokens: true)
                                      as? HuggingFaceTextTokenizer)
        let ids = tokenizer.encodePrompt(text)
        XCTAssertEqual(ids.first, 0)
        XCTAssertNotEqual(ids.dropFirst().first, 0)
        let plain = try ModelSource(path: model.path).textTokenizer(endOfSequence: 1)
        XCTAssertEqual(plain.encodePrompt("Q").prefix(1), [0], "a raw prompt still gets its BOS")
    }

    func testChatNeedsATemplate() throws {
        let model = try folder(template: nil)
        XCTAssertThrowsError(try PromptFormatter.load(template: .gsm8k, chat: true, modelFolder: model)) { error in
            let message = "\(error)"
            XCTAssert(message.contains("task.chat") && message.contains("no chat template"), message)
        }
        XCTAssertThrowsError(try PromptFormatter.load(template: .gsm8k, chat: true, modelFolder: URL(fileURLWithPath: "/nonexistent/model"))) { error in
            XCTAssert("\(error)".contains("/nonexistent/model"), "\(error)")
        }
    }

    func testConfigKey() throws {
        let model = try folder(template: nil)
        let config = try RunConfig(json: Data(#"{"seed_model": "\#(model.path)", "task": {"kind": "synthetic-arithmetic", "chat": true}}"#.utf8), file: "c.json")
        XCTAssertTrue(config.task.chat)
        XCTAssertFalse(RunConfig().task.chat)
        let withPrompt = try RunConfig(json: Data(#"{"seed_model": "\#(model.path)", "task": {"kind": "synthetic-arithmetic", "prompt": "gsm8k"}}"#.utf8), file: "c.json")
        XCTAssertEqual(withPrompt.task.prompt, "gsm8k")
        XCTAssertThrowsError(try RunConfig(json: Data(#"{"seed_model": "\#(model.path)", "task": {"kind": "synthetic-arithmetic", "prompt": "gsm9k"}}"#.utf8), file: "c.json")) { error in
            XCTAssert("\(error)".contains("task.prompt") && "\(error)".contains("gsm9k"), "\(error)")
        }
        // The server must not wrap an already rendered chat prompt a second time.
        let twice = #"{"seed_model": "\#(model.path)", "task": {"kind": "synthetic-arithmetic", "chat": true}, "#
            + #""sampling": {"backend": {"type": "openai", "base_url": "http://127.0.0.1:8000", "model": "m", "chat": true}}}"#
        XCTAssertThrowsError(try RunConfig(json: Data(twice.utf8), file: "c.json")) { error in
            XCTAssert("\(error)".contains("task.chat") && "\(error)".contains("sampling.backend.chat"), "\(error)")
        }
        let once = twice.replacingOccurrences(of: #""model": "m", "chat": true"#, with: #""model": "m""#)
        XCTAssertNoThrow(try RunConfig(json: Data(once.utf8), file: "c.json"))
    }
}
