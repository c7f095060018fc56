import Foundation
import XCTest
@testable import IRPOTokenizer

/// Chat templates rendered like transformers' apply_chat_template (goldens in chat_templates.json).
final class ChatTemplateTests: XCTestCase {
    func testTemplatesMatchTransformers() throws {
        guard let families = try JSONSerialization.jsonObject(with: Fixtures.data("chat_templates.json")) as? [[String: Any]] else {
            return XCTFail("chat_templates.json is not a list of objects")
        }
        let names = families.compactMap { $0["name"] as? String }
        for required in ["chatml-smollm2", "qwen2.5", "llama2", "llama3", "mistral"] {
            XCTAssert(names.contains(required), "no goldens for \(required)")
        }
        var checked = 0
        for family in families {
            let name = family["name"] as? String ?? "?"
            let template = try ChatTemplate(family["template"] as? String ?? "")
            for case let testCase as [String: Any] in family["cases"] as? [Any] ?? [] {
                let messages = testCase["messages"] as? [[String: Any]] ?? []
                let generation = testCase["add_generation_prompt"] as? Bool ?? false
                let label = "\(name) / \(testCase["conversation"] ?? "?") / generation prompt \(generation)"
                do {
                    let output = try template.render(messages: messages, addGenerationPrompt: generation,
                                                     bosToken: family["bos_token"] as? String, eosToken: family["eos_token"] as? String)
                    if let expected = testCase["output"] as? String {
                        XCTAssertEqual(output, expected, label)
                    } else {
                        XCTFail("\(label): expected error \(testCase["error"] ?? ""), rendered \(output.debugDescription)")
                    }
                } catch let error as ChatTemplateError {
                    guard let expected = testCase["error"] as? String else { XCTFail("\(label): \(error)"); continue }
                    XCTAssertEqual(error.kind, .raised, label)
                    XCTAssertEqual(error.message, expected, label)
                }
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 50)
    }

    func testUnsupportedConstructsAreNamed() {
        let cases: [(String, String)] = [
            ("{% macro greet(name) %}hi {{ name }}{% endmacro %}{{ greet('x') }}", "macro"),
            ("{% include 'other.jinja' %}", "include"),
            ("{{ messages | groupby('role') }}", "filter 'groupby'"),
            ("{% if messages is iterable_thing %}x{% endif %}", "test 'iterable_thing'"),
            ("{% for m in messages recursive %}{% endfor %}", "recursive"),
        ]
        for (source, construct) in cases {
            XCTAssertThrowsError(try ChatTemplate(source).render(messages: [["role": "user", "content": "hi"]],
                                                                 addGenerationPrompt: false)) { error in
                guard let error = error as? ChatTemplateError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.kind, .unsupported, source)
                XCTAssert(error.description.contains(construct), "\(error) does not name \(construct)")
            }
        }
    }

    func testSyntaxErrors() {
        for source in ["{% if x %}no end", "{{ 'unterminated }}", "{% for x in %}{% endfor %}", "{% endif %}"] {
            XCTAssertThrowsError(try ChatTemplate(source).render(messages: [], addGenerationPrompt: false), source) { error in
                XCTAssertEqual((error as? ChatTemplateError)?.kind, .syntax, "\(source): \(error)")
            }
        }
    }

    func testWhitespaceControlAndExpressions() throws {
        let template = try ChatTemplate("""
            {% for m in messages %}
              {{- m.role ~ ':' ~ m['content'][1:] | upper }}{% if not loop.last %}, {% endif %}
            {% endfor %}
            {{ [7 // 2, -7 % 3, 2 ** 10, 'a' * 3, [1, 2][-1], 'x' in 'xyz', 1 == 1.0] }}
            """)
        let output = try template.render([ChatMessage(role: "user", content: "hey"), ChatMessage(role: "bot", content: "yo")],
                                         addGenerationPrompt: false)
        XCTAssertEqual(output, "user:EY, bot:O[3, 2, 1024, 'aaa', 2, True, True]")  // as jinja2 renders it
    }

    func testTokenizerAppliesItsTemplate() throws {
        let tokenizer = try Tokenizer(contentsOf: Fixtures.url("gguf-llama/tokenizer.gguf"))
        XCTAssertEqual(try tokenizer.applyChatTemplate([ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true),
                       "<s>Hi")
    }

    /// transformers >= 4.43 writes the template to chat_template.jinja instead of tokenizer_config.json.
    func testFolderChatTemplateFileIsRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-chat-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Fixtures.data("gpt2-bpe/tokenizer.json").write(to: folder.appendingPathComponent("tokenizer.json"))
        XCTAssertNil(try Tokenizer(contentsOf: folder).configuration.chatTemplate)
        try Data(#"{"eos_token": "<|endoftext|>"}"#.utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        let template = "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}"
        try Data(template.utf8).write(to: folder.appendingPathComponent("chat_template.jinja"))
        let tokenizer = try Tokenizer(contentsOf: folder)
        XCTAssertEqual(tokenizer.configuration.chatTemplate, template)
        XCTAssertEqual(try tokenizer.applyChatTemplate([ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true),
                       "[user] Hi\n[assistant] ")
        // As in transformers, the file replaces a template inside tokenizer_config.json.
        try Data(#"{"chat_template": "{{ messages[0]['content'] }}"}"#.utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        XCTAssertEqual(try Tokenizer(contentsOf: folder).configuration.chatTemplate, template)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("chat_template.jinja"))
        XCTAssertEqual(try Tokenizer(contentsOf: folder).applyChatTemplate([ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: false), "Hi")
    }
}
