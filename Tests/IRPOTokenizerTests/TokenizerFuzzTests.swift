import Foundation
import IRPOFormats
import IRPOFuzzSupport
import XCTest
@testable import IRPOTokenizer

/// Seeded structure-aware mutations of tokenizer.json (vocabulary ids and strings, merges, added
/// tokens, normalizers, pre-tokenizers, decoders, post-processors, deep and repeated sequences)
/// and of a GGUF tokenizer's metadata: every file loads, encodes and decodes, or fails with a
/// `TokenizerError`; none traps, hangs past the per-case bound or grows memory past the bound.
final class TokenizerFuzzTests: XCTestCase {
    private static var integers: [Any] {
        [0, 1, -1, 2, 255, 256, 65_535, 65_536, 1 << 24 - 1, 1 << 24, 1_000_000_000, Int(Int32.max),
                                          1 << 62, Int.max, Int.min, 1.5, 1e308, "7", NSNull(), true, [Any](), [String: Any]()]
    }
    private static var strings: [Any] {
        ["", " ", "a", "ab", "\u{2581}", "<s>", "</s>", "<0x41>", "\u{0}", "\u{FFFD}", "é",
                                         String(repeating: "x", count: 3000), "a b", "a b c", 3, NSNull(), ["a", "b"]]
    }
    /// Components a stage can be replaced by (some unsupported, some deep or expanding).
    private static func component(_ random: inout FuzzRandom, depth: Int = 0) -> Any {
        let literal: [String: Any] = ["String": random.pick(["a", " ", "\u{2581}", "ab", ""])]
        let simple: [[String: Any]] = [
            ["type": "Replace", "pattern": literal, "content": random.pick(["", "aa", "\u{2581}\u{2581}", "a"])],
            ["type": "Replace", "pattern": ["Regex": "\\s+"], "content": " "],
            ["type": "Prepend", "prepend": random.pick(["\u{2581}", "", String(repeating: "p", count: 100)])],
            ["type": random.pick(["NFC", "NFD", "NFKC", "NFKD", "Lowercase"])],
            ["type": "Strip", "strip_left": true, "strip_right": random.pick([true, 3] as [Any]),
             "content": random.pick([" ", "", "ab"]), "start": random.pick(integers), "stop": random.pick(integers)],
            ["type": "ByteLevel", "add_prefix_space": random.pick([true, false, "no"] as [Any]), "use_regex": random.oneIn(2)],
            ["type": "Split", "pattern": random.pick([["String": " "], ["String": ""], ["Regex": "(a+)+$"], ["Regex": "["],
                                                      ["Regex": "\\p{L}+|\\p{N}"], ["Regex": "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"]] as [Any]),
             "behavior": random.pick(["Isolated", "Removed", "MergedWithPrevious", "Contiguous", "x"]), "invert": random.oneIn(4)],
            ["type": "Metaspace", "replacement": random.pick(["\u{2581}", "", "ab"]), "prepend_scheme": random.pick(["first", "always", "never", "x"]),
             "split": random.oneIn(2)],
            ["type": random.pick(["ByteFallback", "Fuse", "BertPreTokenizer", "Digits", "WordPiece", "Unknown"])],
            ["type": "TemplateProcessing", "single": [["SpecialToken": ["id": random.pick(["<s>", "<missing>", ""]), "type_id": 0]],
                                                      ["Sequence": ["id": random.pick(["A", "B", "C"]), "type_id": random.pick(integers)]]],
             "special_tokens": ["<s>": ["id": "<s>", "ids": [random.pick(integers)], "tokens": ["<s>"]]]],
        ]
        if depth < 3, random.oneIn(3) {
            // A sequence: long (many expanding stages) at the top only, so a file holds at most
            // about 200 x 4 x 4 stages, or nested deeply.
            let count = depth == 0 && random.oneIn(2) ? random.below(200) : random.below(4)
            let stages = (0..<count).map { _ in component(&random, depth: depth + 1) }
            let key = random.pick(["normalizers", "pretokenizers", "decoders", "processors"])
            var sequence: [String: Any] = ["type": "Sequence", key: stages]
            if random.oneIn(4) {
                for _ in 0..<random.below(600) { sequence = ["type": "Sequence", key: [sequence]] }
            }
            return sequence
        }
        return random.pick(simple)
    }

    /// The fixture tokenizers cut to ids below 600 (merges kept when their parts and result are),
    /// and a minimal byte-level one.
    private static func bases() throws -> [[String: Any]] {
        var result: [[String: Any]] = []
        for name in ["gpt2-bpe", "llama2-spm", "llama3-bpe", "mistral-metaspace", "qwen2-bpe"] {
            var root = try XCTUnwrap(JSONSerialization.jsonObject(with: Fixtures.data("\(name)/tokenizer.json")) as? [String: Any])
            var model = try XCTUnwrap(root["model"] as? [String: Any])
            let vocab = try XCTUnwrap(model["vocab"] as? [String: Int]).filter { $0.value < 600 }
            let merges = (model["merges"] as? [Any] ?? []).filter { merge in
                let parts = (merge as? [String]) ?? (merge as? String)?.split(separator: " ").map(String.init) ?? []
                return parts.count == 2 && vocab[parts[0]] != nil && vocab[parts[1]] != nil && vocab[parts[0] + parts[1]] != nil
            }
            model["vocab"] = vocab
            model["merges"] = merges
            root["model"] = model
            result.append(root)
        }
        var vocab: [String: Int] = [:]
        for byte in 0..<256 { vocab[String(ByteLevelAlphabet.scalarForByte[byte])] = byte }
        vocab["ab"] = 256
        result.append(["model": ["type": "BPE", "vocab": vocab, "merges": [["a", "b"]]],
                       "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
                       "decoder": ["type": "ByteLevel"], "added_tokens": [["id": 257, "content": "<s>", "special": true]]])
        return result
    }

    /// Applies 1...4 mutations to a tokenizer.json object.
    private static func mutate(_ root: inout [String: Any], using random: inout FuzzRandom) {
        for _ in 0..<(1 + random.below(4)) {
            var model = root["model"] as? [String: Any] ?? [:]
            var vocab = model["vocab"] as? [String: Any] ?? [:]
            var merges = model["merges"] as? [Any] ?? []
            var added = root["added_tokens"] as? [Any] ?? []
            switch random.below(12) {
            case 0:  // a vocabulary id
                if let token = vocab.keys.randomElement(using: &random) {
                    vocab[token] = random.oneIn(2) ? random.pick(integers) : vocab.values.randomElement(using: &random) ?? 0
                }
            case 1:  // vocabulary entries added or removed
                if random.oneIn(2), let token = vocab.keys.randomElement(using: &random) { vocab[token] = nil } else {
                    vocab[random.pick(strings) as? String ?? "q"] = random.oneIn(2) ? vocab.count as Any : random.pick(integers)
                }
            case 2:  // a merge malformed, unknown or repeated
                let merge: Any = random.pick([random.pick(strings), [random.pick(strings), random.pick(strings)], ["a"], ["a", "b", "c"],
                                              merges.randomElement(using: &random) ?? "a b", "zz yy"] as [Any])
                if merges.isEmpty || random.oneIn(2) { merges.insert(merge, at: random.below(merges.count + 1)) } else {
                    merges[random.below(merges.count)] = merge
                }
            case 3:  // merges reordered or cut
                if random.oneIn(2) { merges.reverse() } else { merges.removeLast(random.below(merges.count + 1)) }
            case 4:  // an added token
                var entry: [String: Any] = ["id": random.oneIn(2) ? random.pick(integers) : vocab.count + random.below(4) as Any,
                                            "content": random.pick(strings), "special": random.oneIn(2)]
                for flag in ["lstrip", "rstrip", "single_word", "normalized"] where random.oneIn(3) { entry[flag] = random.pick([true, false, 1, "x"] as [Any]) }
                if random.oneIn(4) { entry["id"] = nil }
                added.append(entry)
            case 5:  // added tokens repeated (same id or content) or of the wrong shape
                if let entry = added.randomElement(using: &random) { added.append(entry) } else { added = [random.pick(strings)] }
            case 6, 7:  // a pipeline stage replaced
                root[random.pick(["normalizer", "pre_tokenizer", "decoder", "post_processor"])] = random.oneIn(6) ? NSNull() as Any : component(&random)
            case 8:  // model fields
                model[random.pick(["type", "unk_token", "byte_fallback", "fuse_unk", "ignore_merges", "dropout", "continuing_subword_prefix"])]
                    = random.pick(integers + strings)
            case 9:  // whole sections of the wrong type or missing
                let key = random.pick(["model", "added_tokens", "normalizer", "pre_tokenizer", "decoder", "post_processor"])
                root[key] = random.oneIn(2) ? nil : random.pick(integers + strings)
                continue
            case 10:  // vocab or merges of the wrong type
                if random.oneIn(2) { model["vocab"] = random.pick(integers + strings); root["model"] = model; continue }
                merges = [random.pick(integers + strings)]
            default:  // many added tokens
                for index in 0..<random.below(300) { added.append(["id": vocab.count + index, "content": "<t\(index)>", "special": true]) }
            }
            model["vocab"] = vocab
            model["merges"] = merges
            root["model"] = model
            root["added_tokens"] = added
        }
    }

    private static let texts = ["Hello world", " a  b\n\nc\t", "ab ab <s> </s> x", "é 日本語 🙂 \u{0}", "<0x41><t1><s>",
                                String(repeating: "ab ", count: 200)]

    /// Encodes and decodes with a loaded tokenizer, as generation and training do.
    private static func exercise(_ tokenizer: Tokenizer, using random: inout FuzzRandom) throws {
        let text = random.pick(texts)
        let ids = tokenizer.encode(text, addSpecialTokens: random.oneIn(2))
        _ = try tokenizer.decode(ids, skipSpecialTokens: random.oneIn(2))
        var stream = tokenizer.streamingDecoder(skipSpecialTokens: false)
        for id in ids.prefix(16) { _ = try stream.push(id) }
        let foreign = [random.pick([-1, 0, tokenizer.vocabularySize - 1, tokenizer.vocabularySize, Int.max, Int.min])]
        _ = try? tokenizer.decode(foreign, skipSpecialTokens: false)
    }

    func testMutatedTokenizerFilesLoadOrThrowTokenizerErrors() throws {
        let bases = try Self.bases()
        let campaign = FuzzCampaign(name: "TOKENIZER", defaultCases: 1500)
        let report = try campaign.run { index, random in
            var root = random.pick(bases)
            Self.mutate(&root, using: &random)
            guard let data = try? JSONSerialization.data(withJSONObject: root) else { return .rejected }
            do {
                let tokenizer = try Tokenizer(tokenizerJSON: data, file: "fuzz/tokenizer.json")
                try Self.exercise(tokenizer, using: &random)
                return .accepted
            } catch let error as TokenizerError {
                XCTAssertTrue("\(error)".contains("fuzz/tokenizer.json"), "case \(index): \(error)")
                return .rejected
            }
        }
        print(report.summary)
        XCTAssertEqual(campaign.violations(report), [])
        XCTAssertGreaterThan(report.accepted, report.rejected / 20, "many mutations must leave a working tokenizer")
        XCTAssertGreaterThan(report.rejected, 0)
    }

    func testMutatedGGUFTokenizerMetadataLoadsOrThrows() throws {
        let fixture = try Fixtures.url("gguf-llama/tokenizer.gguf")
        let base = try GGUFStructure(contentsOf: fixture)
        let focus = base.metadata.map(\.key).filter { $0.hasPrefix("tokenizer.") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-tokenizer-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("tokenizer.gguf")
        let campaign = FuzzCampaign(name: "TOKENIZER", defaultCases: 500)
        let report = try campaign.run { index, random in
            var structure = base
            GGUFMutator.mutate(&structure, focus: focus, using: &random)
            try Data(structure.bytes()).write(to: url)
            do {
                let tokenizer = try Tokenizer(contentsOf: url)
                try Self.exercise(tokenizer, using: &random)
                return .accepted
            } catch is TokenizerError {
                return .rejected
            } catch let error as IRPOFormats.FormatError {
                XCTAssertTrue("\(error)".contains(url.lastPathComponent), "case \(index): \(error)")
                return .rejected
            }
        }
        print(report.summary)
        XCTAssertEqual(campaign.violations(report), [])
        XCTAssertGreaterThan(report.accepted, 0)
        XCTAssertGreaterThan(report.rejected, 0)
    }
}
