import Foundation
import IRPOGeneration
import IRPOLoading
import IRPOModel
@testable import IRPOServer
import IRPOTokenizer
import XCTest

/// `irpo serve --model X.gguf` and a folder holding one: the served model's tokenizer and chat
/// template come from the GGUF metadata, and its samples equal the folder's.
final class ServedGGUFTests: XCTestCase {
    func testAGGUFServesWithItsTokenizerAndChatTemplate() throws {
        let folder = try ServerHarness.makeModelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let holder = folder.appendingPathComponent("gguf")
        try FileManager.default.createDirectory(at: holder, withIntermediateDirectories: true)
        let file = holder.appendingPathComponent("tiny.gguf")
        let template = "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}"
        let source = try ModelSource(path: folder.path)
        var metadata = try source.ggufTokenizerMetadata().metadata
        metadata.append((key: "tokenizer.chat_template", value: .string(template)))
        try source.loadModel().saveGGUF(to: file, extraMetadata: metadata)
        let reference = try ServedModel.load(path: folder.path)
        for path in [file.path, holder.path] {
            let served = try ServedModel.load(path: path)
            XCTAssertEqual(served.contextLength, reference.contextLength)
            XCTAssertEqual(served.tokenizer.encodePrompt("hi 42"), reference.tokenizer.encodePrompt("hi 42"))
            let prompt = try served.chat.promptTokens(for: [ChatMessage(role: "user", content: "2+2?")])
            XCTAssertEqual(prompt, CharacterTokenizer().encode("[user] 2+2?\n[assistant]"), "rendered with the GGUF's template, no BOS added")
            let greedy = GenerateParameters.greedy(maxNewTokens: 8)
            func run(_ model: ServedModel) throws -> [Int32] {
                try Generator(model: model.model, maxBatchSize: 1, tokenizer: model.tokenizer)
                    .generate(prompts: [model.tokenizer.encodePrompt("Q: 3")], parameters: greedy, samplesPerPrompt: 1)[0][0].tokens
            }
            XCTAssertEqual(try run(served), try run(reference), path)
        }
    }
}
