import Foundation
import IRPOBackends
import IRPOFormats
import IRPOGeneration
import IRPOLoading
import IRPOModel
import IRPOTokenizer
import XCTest

/// One way to open a model: a Hugging Face folder, a .gguf file and a folder holding one give the
/// same weights and tokenizer; exported GGUFs follow llama.cpp's tensor-type choices.
final class ModelSourceTests: XCTestCase {
    static let chatTemplate = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"

    /// A scratch folder removed at the end of the test.
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-source-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A tiny random Llama with the demo's character vocabulary (intermediate size 48: the
    /// down projection's rows are not whole 32-value blocks).
    func makeFolder(in root: URL) throws -> URL {
        let folder = root.appendingPathComponent("hf")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configuration = LlamaConfiguration(vocabularySize: CharacterTokenizer().vocabularySize, hiddenSize: 32, intermediateSize: 48,
                                               layerCount: 1, attentionHeads: 4, keyValueHeads: 2, maxPositionEmbeddings: 96,
                                               tieWordEmbeddings: true, bosTokenID: 1, eosTokenIDs: [2])
        let model = try LlamaModel(configuration: configuration)
        model.parameters.initializeRandomly(seed: 11, std: 0.25)
        try model.save(to: folder)
        try CharacterTokenizer().save(inFolder: folder)
        return folder
    }

    /// `folder` exported as a GGUF of `type` with its tokenizer (+ a chat template) in the metadata.
    func export(_ folder: URL, to file: URL, type: GGMLType = .f32) throws {
        let source = try ModelSource(path: folder.path)
        var metadata = try source.ggufTokenizerMetadata().metadata
        metadata.append((key: "tokenizer.chat_template", value: GGUFValue.string(Self.chatTemplate)))
        try source.loadModel().saveGGUF(to: file, type: type, name: "tiny", extraMetadata: metadata)
    }

    func testAFileAFolderHoldingOneAndTheFolderGiveTheSameModelAndTokenizer() throws {
        let root = try scratch()
        let folder = try makeFolder(in: root)
        let holder = root.appendingPathComponent("holder")
        try FileManager.default.createDirectory(at: holder, withIntermediateDirectories: true)
        let file = holder.appendingPathComponent("tiny.f32.gguf")
        try export(folder, to: file)

        let hf = try ModelSource(path: folder.path)
        XCTAssertEqual(hf.format, .huggingFaceFolder)
        for path in [file.path, holder.path] {
            let gguf = try ModelSource(path: path)
            XCTAssertEqual(gguf.format, .gguf, path)
            XCTAssertEqual(gguf.weights.path, file.path, path)
            // Every size and the special ids come from the GGUF metadata (rms_norm_eps is stored as F32 there).
            var expected = try hf.configuration()
            expected.rmsNormEpsilon = Double(Float(expected.rmsNormEpsilon))
            XCTAssertEqual(try gguf.configuration(), expected)
            let text = "Q: 12 + 3 = ?\nA: 15 ok"
            let character = CharacterTokenizer()
            let tokenizer = try gguf.textTokenizer()
            XCTAssertEqual(tokenizer.encodePrompt(text), character.encodePrompt(text), "BOS + one token per character")
            XCTAssertEqual(tokenizer.encodeCompletion(text), character.encodeCompletion(text), "completions end with EOS")
            XCTAssertEqual(tokenizer.decode(character.encode(text).map(Int.init)), text)
            XCTAssertEqual(try gguf.tokenizer()?.configuration.chatTemplate, Self.chatTemplate)
        }
        // The local engine gives the same greedy completions from either (F32 keeps the weights exactly).
        let parameters = GenerateParameters(temperature: 0, maxNewTokens: 12, seed: 1)
        func greedy(_ source: ModelSource) throws -> [String] {
            let backend = try LocalInferenceBackend(source: source, batchSize: 2)
            return try backend.complete(prompts: ["Q: 1 + 1", "Q: 7"], promptIDs: [0, 1], parameters: parameters, samplesPerPrompt: 1,
                                        progress: { _, _ in }, promptFinished: { _, _ in }).map { $0[0].text }
        }
        let reference = try greedy(hf)
        XCTAssertEqual(reference.count, 2)
        XCTAssertEqual(try greedy(ModelSource(path: file.path)), reference)
        XCTAssertEqual(try greedy(ModelSource(path: holder.path)), reference)
    }

    func testErrorsSayWhatWasLookedFor() throws {
        let root = try scratch()
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        let missing = root.appendingPathComponent("missing").path
        XCTAssertTrue(message { try ModelSource(path: missing) }.contains("\(missing) does not exist"))
        XCTAssertTrue(message { try ModelSource(path: missing) }.contains(".gguf file"))
        let text = root.appendingPathComponent("notes.txt")
        try Data("hello".utf8).write(to: text)
        let notGGUF = message { try ModelSource(path: text.path) }
        XCTAssertTrue(notGGUF.contains("not a GGUF file") && notGGUF.contains("GGUF magic"), notGGUF)
        let two = root.appendingPathComponent("two")
        let folder = try makeFolder(in: root)
        try FileManager.default.createDirectory(at: two, withIntermediateDirectories: true)
        try export(folder, to: two.appendingPathComponent("a.gguf"))
        try export(folder, to: two.appendingPathComponent("b.gguf"))
        let several = message { try ModelSource(path: two.path) }
        XCTAssertTrue(several.contains("a.gguf, b.gguf") && several.contains("pass one of them"), several)
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let source = try ModelSource(path: empty.path)
        let noConfig = message { try source.configuration() }
        XCTAssertTrue(noConfig.contains("config.json") && noConfig.contains(".gguf"), noConfig)
        let noTokenizer = message { try source.textTokenizer() }
        XCTAssertTrue(noTokenizer.contains("config.json"), "the end-of-sequence id is looked up first: \(noTokenizer)")
        let noTokenizerFiles = message { try source.textTokenizer(endOfSequence: 2) }
        XCTAssertTrue(noTokenizerFiles.contains("tokenizer.json") && noTokenizerFiles.contains(CharacterTokenizer.fileName)
                      && noTokenizerFiles.contains(".gguf"), noTokenizerFiles)
    }

    func testTokenizerFilesOfAGGUFSeedCarryItsVocabularyAndChatTemplate() throws {
        let root = try scratch()
        let file = root.appendingPathComponent("seed.gguf")
        try export(try makeFolder(in: root), to: file)
        let seed = try ModelSource(path: file.path)
        // A model trained from the seed is saved as a Hugging Face folder with the seed's tokenizer.
        let trained = root.appendingPathComponent("iter-1-model")
        try FileManager.default.createDirectory(at: trained, withIntermediateDirectories: true)
        try seed.loadModel().save(to: trained)
        try seed.writeTokenizerFiles(to: trained)
        for name in ["tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: trained.appendingPathComponent(name).path), name)
        }
        let reopened = try ModelSource(path: trained.path)
        XCTAssertEqual(reopened.format, .huggingFaceFolder)
        let text = "Q: 40 - 2\n"
        XCTAssertEqual(try reopened.textTokenizer().encodePrompt(text), try seed.textTokenizer().encodePrompt(text))
        XCTAssertEqual(try reopened.textTokenizer().encodeCompletion(text), try seed.textTokenizer().encodeCompletion(text))
        XCTAssertEqual(try reopened.tokenizer()?.configuration.chatTemplate, Self.chatTemplate)
        // The next iteration copies the folder's files on.
        let next = root.appendingPathComponent("iter-2-model")
        try FileManager.default.createDirectory(at: next, withIntermediateDirectories: true)
        try reopened.writeTokenizerFiles(to: next)
        XCTAssertEqual(try Data(contentsOf: next.appendingPathComponent("tokenizer.json")),
                       try Data(contentsOf: trained.appendingPathComponent("tokenizer.json")))
        // And a GGUF export of the trained folder gets the seed's GGUF vocabulary back.
        let exported = try reopened.ggufTokenizerMetadata()
        XCTAssertNil(exported.note)
        let keys = Set(exported.metadata.map(\.key))
        XCTAssertTrue(keys.isSuperset(of: ["tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.chat_template"]), "\(keys)")
    }

    func testAVocabularyWithoutATokenizerJSONTranslationTravelsAsATokenizerGGUF() throws {
        let root = try scratch()
        // A SentencePiece-style (`llama`) vocabulary: merges come from the scores.
        let tokens = ["<unk>", "<s>", "</s>", "\u{2581}", "\u{2581}a", "a", "b", "c", "\u{2581}b", "\u{2581}c"]
        let configuration = LlamaConfiguration(vocabularySize: tokens.count, hiddenSize: 32, intermediateSize: 64, layerCount: 1,
                                               attentionHeads: 4, keyValueHeads: 2, maxPositionEmbeddings: 64,
                                               tieWordEmbeddings: true, bosTokenID: 1, eosTokenIDs: [2])
        let model = try LlamaModel(configuration: configuration)
        model.parameters.initializeRandomly(seed: 2, std: 0.25)
        let file = root.appendingPathComponent("spm.gguf")
        try model.saveGGUF(to: file, extraMetadata: [
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .array(tokens.map { .string($0) })),
            ("tokenizer.ggml.scores", .array(tokens.indices.map { .float32(-Float($0)) })),
            ("tokenizer.ggml.token_type", .array(tokens.indices.map { .int32($0 == 0 ? 2 : $0 < 3 ? 3 : 1) })),
            ("tokenizer.ggml.bos_token_id", .uint32(1)), ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.chat_template", .string(Self.chatTemplate)),
        ])
        let seed = try ModelSource(path: file.path)
        let trained = root.appendingPathComponent("trained")
        try FileManager.default.createDirectory(at: trained, withIntermediateDirectories: true)
        try seed.loadModel().save(to: trained)
        try seed.writeTokenizerFiles(to: trained)
        XCTAssertFalse(FileManager.default.fileExists(atPath: trained.appendingPathComponent("tokenizer.json").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: trained.appendingPathComponent(ModelSource.tokenizerGGUFName).path))
        let reopened = try ModelSource(path: trained.path)
        XCTAssertEqual(reopened.format, .huggingFaceFolder, "config.json makes it a folder; the .gguf only holds the tokenizer")
        let text = "a b c ab"
        let expected = try seed.textTokenizer().encodePrompt(text)
        XCTAssertEqual(expected.first, 1, "BOS")
        XCTAssertGreaterThan(expected.count, 2)
        XCTAssertEqual(try reopened.textTokenizer().encodePrompt(text), expected)
        XCTAssertEqual(try reopened.tokenizer()?.configuration.chatTemplate, Self.chatTemplate)
        XCTAssertEqual(try reopened.ggufTokenizerMetadata().metadata.first { $0.key == "tokenizer.ggml.model" }?.value, .string("llama"))
    }

    func testQuantisedExportsFollowLlamaCppsTensorTypes() throws {
        let root = try scratch()
        let folder = try makeFolder(in: root)
        let expectations: [(GGMLType, UInt32, [String: GGMLType])] = [
            (.q8_0, 7, ["token_embd.weight": .q8_0, "blk.0.attn_q.weight": .q8_0, "blk.0.ffn_gate.weight": .q8_0,
                        "blk.0.ffn_down.weight": .f16, "blk.0.attn_norm.weight": .f32, "output_norm.weight": .f32]),
            (.q4_0, 2, ["token_embd.weight": .q8_0, "blk.0.attn_q.weight": .q4_0, "blk.0.ffn_up.weight": .q4_0,
                        "blk.0.ffn_down.weight": .f16, "blk.0.ffn_norm.weight": .f32]),
        ]
        let reference = try ModelSource(path: folder.path).loadModel()
        for (type, fileType, tensors) in expectations {
            let url = root.appendingPathComponent("tiny.\(type.name).gguf")
            try export(folder, to: url, type: type)
            let file = try GGUFFile(contentsOf: url)
            XCTAssertEqual(file["general.file_type"], .uint32(fileType), type.name)
            XCTAssertEqual(file["general.quantization_version"], .uint32(2), type.name)
            for (name, expected) in tensors { XCTAssertEqual(file.tensor(named: name)?.type, expected, "\(type.name) \(name)") }
            XCTAssertNil(file.tensor(named: "output.weight"), "tied embeddings write no output tensor")
            // Reloaded weights are within half a quantisation step of the originals.
            let loaded = try ModelSource(path: url.path).loadModel()
            let original = Array(reference.parameters.view(.queryWeight, layer: 0))
            let quantised = Array(loaded.parameters.view(.queryWeight, layer: 0))
            let largest = original.map(abs).max() ?? 0
            let worst = zip(original, quantised).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertGreaterThan(worst, 0, "\(type.name) changes the weights")
            XCTAssertLessThanOrEqual(worst, largest / (type == .q8_0 ? 127 : 7), "\(type.name): largest error \(worst)")
        }
        XCTAssertThrowsError(try ModelSource(path: folder.path).loadModel().saveGGUF(to: root.appendingPathComponent("x.gguf"), type: .q4_K)) { error in
            XCTAssertTrue("\(error)".contains("Q4_K") && "\(error)".contains("Q8_0"), "\(error)")
        }
    }

    /// The pre-tokenizer travels both ways: a `smollm` GGUF vocabulary becomes tokenizer.json's
    /// Digits + ByteLevel (SmolLM2's own layout) and comes back as `smollm`, so llama.cpp splits an
    /// exported model's text as the seed's; a plain ByteLevel file exports as llama.cpp's `gpt-2`;
    /// a layout llama.cpp has no name for gets a note instead of a wrong name.
    func testTheGGUFPreTokenizerSurvivesAFolderRoundTrip() throws {
        let root = try scratch()
        let tokens = ["<|end|>", "x", "1", "2", "12", "Ġ"]
        let configuration = LlamaConfiguration(vocabularySize: tokens.count, hiddenSize: 8, intermediateSize: 16, layerCount: 1,
                                               attentionHeads: 2, keyValueHeads: 1, maxPositionEmbeddings: 32)
        for (pre, exported) in [("smollm", "smollm"), ("starcoder", "smollm"), ("gpt-2", "gpt-2"), ("default", "gpt-2")] {
            let folder = root.appendingPathComponent(pre)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let notes = try TokenizerFiles.writeHuggingFaceFiles(metadata: [
                "tokenizer.ggml.model": .string("gpt2"),
                "tokenizer.ggml.pre": .string(pre),
                "tokenizer.ggml.tokens": .array(tokens.map { .string($0) }),
                "tokenizer.ggml.merges": .array([.string("1 2")]),
                "tokenizer.ggml.eos_token_id": .uint32(0),
            ], configuration: configuration, folder: folder, source: "\(pre).gguf")
            XCTAssertEqual(notes, [], pre)
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("tokenizer.json"))) as? [String: Any])
            let preTokenizer = try XCTUnwrap(json["pre_tokenizer"] as? [String: Any])
            XCTAssertEqual(preTokenizer["type"] as? String, exported == "smollm" ? "Sequence" : "ByteLevel", pre)
            let (metadata, note) = try TokenizerFiles.ggufMetadata(folder: folder)
            XCTAssertNil(note, pre)
            XCTAssertEqual(metadata.first { $0.key == "tokenizer.ggml.pre" }?.value.stringValue, exported, pre)
            // And the folder's tokenizer splits digits as the GGUF's did.
            let tokenizer = try Tokenizer(contentsOf: folder)
            XCTAssertEqual(tokenizer.encode("x12", addSpecialTokens: false), exported == "smollm" ? [1, 2, 3] : [1, 4], pre)
        }
        // A Split + ByteLevel layout (Llama 3's) is not named for llama.cpp: no metadata and a note.
        let other = root.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let file: [String: Any] = [
            "model": ["type": "BPE", "vocab": ["a": 0, "b": 1], "merges": [String]()],
            "pre_tokenizer": ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": "\\p{N}{1,3}"], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false],
            ]],
        ]
        try JSONSerialization.data(withJSONObject: file).write(to: other.appendingPathComponent("tokenizer.json"))
        let (metadata, note) = try TokenizerFiles.ggufMetadata(folder: other)
        XCTAssertTrue(metadata.isEmpty)
        XCTAssertTrue(note?.contains("Digits then ByteLevel") == true, note ?? "no note")
    }
}
