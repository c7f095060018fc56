import Foundation
import XCTest
@testable import IRPOTokenizer

/// Bad tokenizer files and bad ids get errors that name the file and the fault.
final class BadInputTests: XCTestCase {
    /// A minimal valid byte-level tokenizer.json, with `edit` applied to its JSON object.
    func tokenizerJSON(_ edit: (inout [String: Any]) -> Void = { _ in }) throws -> Data {
        var vocab: [String: Int] = [:]
        for byte in 0..<256 { vocab[String(ByteLevelAlphabet.scalarForByte[byte])] = byte }
        vocab["ab"] = 256
        var json: [String: Any] = [
            "model": ["type": "BPE", "vocab": vocab, "merges": [["a", "b"]]],
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
            "decoder": ["type": "ByteLevel"],
            "added_tokens": [],
        ]
        edit(&json)
        return try JSONSerialization.data(withJSONObject: json)
    }

    func assertError(_ data: Data, mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: data, file: "bad/tokenizer.json"), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssert(message.contains("bad/tokenizer.json"), "message does not name the file: \(message)", file: file, line: line)
            for fragment in fragments {
                XCTAssert(message.contains(fragment), "message lacks \(fragment.debugDescription): \(message)", file: file, line: line)
            }
        }
    }

    func testHugeIdsAreRefusedBeforeAllocating() throws {
        // One id of 10^9 once made a 16 GB id-indexed table.
        assertError(try tokenizerJSON { json in
            var model = json["model"] as? [String: Any] ?? [:]
            var vocab = model["vocab"] as? [String: Int] ?? [:]
            vocab["zz"] = 1_000_000_000
            model["vocab"] = vocab
            json["model"] = model
        }, mentions: ["1000000000", "258 tokens"])
        assertError(try tokenizerJSON { json in
            json["added_tokens"] = [["id": 1_000_000_000, "content": "<x>", "special": true]]
        }, mentions: ["added token id 1000000000"])
        assertError(try tokenizerJSON { json in
            json["added_tokens"] = [["id": -1, "content": "<x>", "special": true]]
        }, mentions: ["added token id -1"])
        // A modest gap (added tokens after a reserved range) is fine.
        let gapped = try Tokenizer(tokenizerJSON: try tokenizerJSON { json in
            json["added_tokens"] = [["id": 300, "content": "<x>", "special": true]]
        }, file: "ok.json")
        XCTAssertEqual(gapped.vocabularySize, 301)
    }

    func testExpandingReplaceChainsAreRefused() throws {
        // Forty stages that each double every "a" would make 2^40 bytes of one letter.
        let doubling: [String: Any] = ["type": "Replace", "pattern": ["String": "a"], "content": "aa"]
        assertError(try tokenizerJSON { json in
            json["normalizer"] = ["type": "Sequence", "normalizers": Array(repeating: doubling, count: 40)]
        }, mentions: ["$.normalizer", "\(TokenizerLimits.maxTextGrowth)"])
        assertError(try tokenizerJSON { json in
            json["decoder"] = ["type": "Sequence", "decoders": Array(repeating: doubling, count: 9)]
        }, mentions: ["$.decoder", "512 times"])
        // A few expanding stages, as real tokenizers have (" " to the 3-byte "\u{2581}"), load.
        let tokenizer = try Tokenizer(tokenizerJSON: try tokenizerJSON { json in
            json["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFKC"], doubling,
                                                                       ["type": "Replace", "pattern": ["String": " "], "content": "\u{2581}"]]]
        }, file: "ok.json")
        XCTAssertFalse(tokenizer.encode("a b", addSpecialTokens: false).isEmpty)
    }

    func testValidBaseline() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: try tokenizerJSON(), file: "ok.json")
        XCTAssertEqual(tokenizer.encode("abc", addSpecialTokens: false), [256, Int(UInt8(ascii: "c"))])
    }

    func testMalformedJSON() {
        assertError(Data("{\"model\": {\"type\": \"BPE\", ".utf8), mentions: ["not valid JSON"])
        assertError(Data("[1, 2]".utf8), mentions: ["expected a JSON object"])
    }

    func testMissingModel() throws {
        assertError(try tokenizerJSON { $0["model"] = nil }, mentions: ["missing key \"model\""])
    }

    func testMergeNamingUnknownToken() throws {
        assertError(try tokenizerJSON { json in
            var model = json["model"] as? [String: Any] ?? [:]
            model["merges"] = [["a", "b"], ["zz", "b"]]
            json["model"] = model
        }, mentions: ["\"zz\"", "not in the vocabulary", "merges[1]"])
    }

    func testMergeProducingUnknownToken() throws {
        assertError(try tokenizerJSON { json in
            var model = json["model"] as? [String: Any] ?? [:]
            model["merges"] = ["b c"]
            json["model"] = model
        }, mentions: ["\"bc\"", "not in the vocabulary"])
    }

    func testUnsupportedPreTokenizer() throws {
        assertError(try tokenizerJSON { $0["pre_tokenizer"] = ["type": "BertPreTokenizer"] },
                    mentions: ["unsupported pre-tokenizer type \"BertPreTokenizer\""])
    }

    func testUnsupportedSplitRegex() throws {
        assertError(try tokenizerJSON {
            $0["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "\\w+|[^\\w\\s]+"], "behavior": "Isolated"]
        }, mentions: ["unsupported Split regex", "\\\\w+"])
    }

    func testUnsupportedComponents() throws {
        assertError(try tokenizerJSON { $0["normalizer"] = ["type": "BertNormalizer"] }, mentions: ["BertNormalizer"])
        assertError(try tokenizerJSON { $0["decoder"] = ["type": "WordPiece"] }, mentions: ["WordPiece"])
        assertError(try tokenizerJSON { $0["post_processor"] = ["type": "Mystery"] }, mentions: ["Mystery"])
        assertError(try tokenizerJSON { json in
            var model = json["model"] as? [String: Any] ?? [:]
            model["type"] = "Unigram"
            json["model"] = model
        }, mentions: ["unsupported model type \"Unigram\""])
    }

    func testDecodeIDOutOfRange() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: try tokenizerJSON(), file: "ok.json")
        XCTAssertThrowsError(try tokenizer.decode([97, 257], skipSpecialTokens: false)) { error in
            XCTAssert("\(error)".contains("cannot decode id 257"), "\(error)")
        }
        XCTAssertThrowsError(try tokenizer.decode([-1], skipSpecialTokens: false))
        var stream = tokenizer.streamingDecoder(skipSpecialTokens: false)
        XCTAssertThrowsError(try stream.push(100_000))
    }

    func testMissingFile() {
        XCTAssertThrowsError(try Tokenizer(contentsOf: URL(fileURLWithPath: "/nonexistent/model"))) { error in
            XCTAssert("\(error)".contains("/nonexistent/model"), "\(error)")
        }
    }
}
