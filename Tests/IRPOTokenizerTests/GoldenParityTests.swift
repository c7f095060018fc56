import Foundation
import XCTest
@testable import IRPOTokenizer

/// Parity with HF `tokenizers` on the >= 5,000-string corpus, for tokenizers trained by
/// scripts/make_tokenizer_fixtures.py (ids and decodes written by the same script).
final class GoldenParityTests: XCTestCase {
    func load(_ folder: String) throws -> Tokenizer {
        try Tokenizer(contentsOf: Fixtures.url("\(folder)/tokenizer.json"))
    }

    func testCorpusCoversTheRequiredKinds() throws {
        let corpus = try Fixtures.corpus()
        XCTAssertGreaterThanOrEqual(corpus.count, 5000)
        func some(_ predicate: (Unicode.Scalar) -> Bool) -> Bool {
            corpus.contains { $0.unicodeScalars.contains(where: predicate) }
        }
        XCTAssert(some { $0.value >= 0x10000 }, "4-byte characters")
        XCTAssert(some { (0x4E00...0x9FFF).contains($0.value) }, "CJK")
        XCTAssert(some { (0xC0...0x17F).contains($0.value) }, "accented Latin")
        XCTAssert(corpus.contains { $0.contains("\t") } && corpus.contains { $0.contains("   ") })
        XCTAssert(corpus.contains { $0.contains("<|endoftext|>") } && corpus.contains { $0.contains("<s>") })
    }

    func testGPT2ByteLevelBPE() throws { try assertGoldenParity(load("gpt2-bpe"), folder: "gpt2-bpe") }
    func testLlama3ByteLevelBPE() throws { try assertGoldenParity(load("llama3-bpe"), folder: "llama3-bpe") }
    func testQwen2ByteLevelBPE() throws { try assertGoldenParity(load("qwen2-bpe"), folder: "qwen2-bpe") }
    /// SmolLM2's pre-tokenizer layout (Digits with individual digits, then ByteLevel) on a vocabulary
    /// with multi-digit merges, where the Digits stage changes 380 of the 1,000 lines.
    func testDigitsThenByteLevelBPE() throws { try assertGoldenParity(load("digits-bpe"), folder: "digits-bpe") }
    func testLlama2SentencePieceBPE() throws { try assertGoldenParity(load("llama2-spm"), folder: "llama2-spm") }
    func testMetaspaceSentencePieceBPE() throws {
        try assertGoldenParity(load("mistral-metaspace"), folder: "mistral-metaspace")
    }

    /// decode([id]) for every id: byte-level tokens that are not valid UTF-8 alone, `<0xNN>` tokens, specials.
    func testDecodingEveryTokenAlone() throws {
        for folder in ["gpt2-bpe", "digits-bpe", "llama3-bpe", "qwen2-bpe", "llama2-spm", "mistral-metaspace"] {
            let tokenizer = try load(folder)
            guard let expected = try JSONSerialization.jsonObject(with: Fixtures.data("\(folder)/vocab_decode.json")) as? [String] else {
                return XCTFail("\(folder)/vocab_decode.json is not a list of strings")
            }
            XCTAssertEqual(tokenizer.vocabularySize, expected.count, folder)
            var differences: [String] = []
            for (id, text) in expected.enumerated() {
                let decoded = try tokenizer.decode([id], skipSpecialTokens: false)
                if decoded != text { differences.append("\(id): \(decoded.debugDescription) != \(text.debugDescription)") }
            }
            XCTAssert(differences.isEmpty, "\(folder): \(differences.prefix(5))")
        }
    }

    func testBatchEncodeMatchesEncode() throws {
        let tokenizer = try load("llama3-bpe")
        let corpus = Array(try Fixtures.corpus().prefix(300))
        let batch = tokenizer.encodeBatch(corpus, addSpecialTokens: true, threads: 2)
        XCTAssertEqual(batch, corpus.map { tokenizer.encode($0, addSpecialTokens: true) })
    }
}
