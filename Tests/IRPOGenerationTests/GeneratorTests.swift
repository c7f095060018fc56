import Foundation
@testable import IRPOGeneration
import IRPOModel
import IRPOTensor
import IRPOTokenizer
import XCTest

/// Letter tokenizer for the tiny vocabulary: id -> one letter (ids 0-25 'a'-'z', 26-51 'A'-'Z',
/// the rest digits and punctuation), so stop strings can span tokens.
struct LetterTokenizer: GenerationTokenizer {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?-+=*/()[]{}<>@#$%&_'\"~^|")
    func decode(_ tokens: [Int]) -> String {
        String(tokens.map { Self.alphabet[$0 % Self.alphabet.count] })
    }
}

final class GeneratorTests: XCTestCase {
    let prompts: [[Int32]] = [TinyModels.tokens(5, seed: 31), TinyModels.tokens(1, seed: 32), TinyModels.tokens(13, seed: 33)]

    /// Reference: greedy by repeated full forwards.
    func argmaxChain(_ model: LlamaModel, prompt: [Int32], steps: Int) throws -> [Int32] {
        var sequence = prompt
        let v = model.configuration.vocabularySize
        for _ in 0..<steps {
            let logits = try model.logits([sequence])
            let last = Array(logits[((sequence.count - 1) * v)..<(sequence.count * v)])
            let best = last.indices.max { last[$0] < last[$1] || (last[$0] == last[$1] && $0 > $1) } ?? 0
            sequence.append(Int32(best))
        }
        return Array(sequence[prompt.count...])
    }

    func testGreedyEqualsArgmaxChainOfFullForwards() throws {
        for name in ["llama-tied-gqa", "qwen2-bias", "llama3-rope-scaling"] {
            let model = try TinyModels.model(name, seed: 5)
            let generator = Generator(model: model, endOfSequenceTokenIDs: [], maxBatchSize: 2)
            let results = try generator.generate(prompts: prompts, parameters: .greedy(maxNewTokens: 20), samplesPerPrompt: 2)
            for (i, prompt) in prompts.enumerated() {
                let expected = try argmaxChain(model, prompt: prompt, steps: 20)
                XCTAssertEqual(results[i][0].tokens, expected, "\(name) prompt \(i)")
                XCTAssertEqual(results[i][1].tokens, expected, "\(name) prompt \(i): greedy samples are identical")
                XCTAssertEqual(results[i][0].finishReason, .length)
                XCTAssertGreaterThan(Set(expected).count, 1, "the test model should not repeat one token")
            }
        }
    }

    /// Sample j of prompt i is the same: 64 samples in one batch with 2 threads; one sample at a
    /// time with 1 thread; each prompt in its own request (with its prompt id) and small batches.
    func testSampleDependsOnlyOnSeedPromptAndIndex() throws {
        let model = try TinyModels.model("llama-tied-gqa", seed: 6, std: 0.1)
        let manyPrompts = (0..<16).map { TinyModels.tokens(2 + $0 % 5, seed: UInt64(100 + $0)) }
        let parameters = GenerateParameters(temperature: 1.0, topP: 0.95, maxNewTokens: 12, seed: 77, returnLogProbs: true)
        let saved = (Parallel.threadCount, GEMM.threadCount)
        defer { Parallel.threadCount = saved.0; GEMM.threadCount = saved.1 }

        Parallel.threadCount = 2; GEMM.threadCount = 2
        let batched = try Generator(model: model, endOfSequenceTokenIDs: [3], maxBatchSize: 64)
            .generate(prompts: manyPrompts, parameters: parameters, samplesPerPrompt: 4)
        Parallel.threadCount = 1; GEMM.threadCount = 1
        let sequential = try Generator(model: model, endOfSequenceTokenIDs: [3], maxBatchSize: 1)
            .generate(prompts: manyPrompts, parameters: parameters, samplesPerPrompt: 4)
        XCTAssertTrue(batched == sequential, "64 in one batch (2 threads) vs one at a time (1 thread) differ")
        Parallel.threadCount = 2; GEMM.threadCount = 2
        for i in [0, 7, 15] {
            let single = try Generator(model: model, endOfSequenceTokenIDs: [3], maxBatchSize: 3)
                .generate(prompts: [manyPrompts[i]], parameters: parameters, samplesPerPrompt: 4, promptIDs: [i])
            XCTAssertTrue(single[0].map(\.tokens) == batched[i].map(\.tokens) && single[0].map(\.logProbs) == batched[i].map(\.logProbs),
                          "prompt \(i) alone differs from the batch of 64")
            XCTAssertEqual(single[0].map(\.promptIndex), [0, 0, 0, 0], "results are indexed by position in the request")
        }
        let distinct = Set(batched.flatMap { $0.map(\.tokens) })
        XCTAssertGreaterThan(distinct.count, 48, "samples should differ from each other")
        XCTAssertTrue(batched.joined().contains { $0.finishReason == .eos }, "some samples should hit EOS")
        XCTAssertTrue(batched.joined().contains { $0.finishReason == .length })
        // A different seed gives different samples.
        var other = parameters
        other.seed = 78
        let reseeded = try Generator(model: model, endOfSequenceTokenIDs: [3], maxBatchSize: 64)
            .generate(prompts: manyPrompts, parameters: other, samplesPerPrompt: 4)
        XCTAssertFalse(reseeded.map { $0.map(\.tokens) } == batched.map { $0.map(\.tokens) })
    }

    /// Prompts long enough that their samples read whole key blocks in place (8+ tokens), with
    /// more prompts in flight than prompt-only slots (some samples then prefill their prompt in
    /// their own slot): every sample equals the one generated one at a time.
    func testSharedPromptRowsGiveTheSamplesOfUnsharedDecoding() throws {
        let model = try TinyModels.model("qwen2-bias", seed: 8, std: 0.1)
        let prompts = (0..<12).map { TinyModels.tokens(8 + 3 * ($0 % 6), seed: UInt64(300 + $0)) }
        let parameters = GenerateParameters(temperature: 1.0, maxNewTokens: 14, seed: 5, returnLogProbs: true)
        let saved = (Parallel.threadCount, GEMM.threadCount)
        defer { Parallel.threadCount = saved.0; GEMM.threadCount = saved.1 }
        Parallel.threadCount = 2; GEMM.threadCount = 2
        let reference = try Generator(model: model, endOfSequenceTokenIDs: [3], maxBatchSize: 1)
            .generate(prompts: prompts, parameters: parameters, samplesPerPrompt: 4)
        for (batch, promptSlots) in [(5, nil), (8, 1), (48, nil), (48, 2)] as [(Int, Int?)] {
            let batched = try Generator(model: model, endOfSequenceTokenIDs: [3], maxBatchSize: batch, tokenizer: nil,
                                        matmul: .batchInvariant, promptSlotLimit: promptSlots)
                .generate(prompts: prompts, parameters: parameters, samplesPerPrompt: 4)
            let label = "batch \(batch), prompt slots \(promptSlots.map(String.init) ?? "default")"
            XCTAssertTrue(batched.map { $0.map(\.tokens) } == reference.map { $0.map(\.tokens) }, "\(label): tokens differ")
            XCTAssertTrue(batched.map { $0.map(\.logProbs) } == reference.map { $0.map(\.logProbs) }, "\(label): log-probs differ")
        }
        XCTAssertTrue(reference.joined().contains { $0.finishReason == .eos } && reference.joined().contains { $0.finishReason == .length },
                      "samples should end at different steps")
        XCTAssertGreaterThan(Set(reference.joined().map(\.tokens)).count, 40)
    }

    /// Prompts that all begin with the same tokens (a chat template's system prompt and an
    /// instruction) read one shared prefill of them: every sample equals the one generated for its
    /// prompt alone (no sharing), with one and with several samples per prompt, and greedy
    /// decoding equals the chain of full forwards.
    func testPromptsWithACommonStartShareItsPrefill() throws {
        let common = TinyModels.tokens(37, seed: 400)
        let prompts = (0..<7).map { common + TinyModels.tokens(1 + 5 * $0, seed: UInt64(410 + $0)) }
        XCTAssertEqual(GenerationRun.commonStart(of: prompts), 37)
        let sampling = try TinyModels.model("llama-tied-gqa", seed: 9, std: 0.1)
        let parameters = GenerateParameters(temperature: 1.0, maxNewTokens: 10, seed: 3, returnLogProbs: true)
        for samples in [1, 3] {
            let batched = try Generator(model: sampling, endOfSequenceTokenIDs: [3], maxBatchSize: 16)
                .generate(prompts: prompts, parameters: parameters, samplesPerPrompt: samples)
            for (i, prompt) in prompts.enumerated() {
                let alone = try Generator(model: sampling, endOfSequenceTokenIDs: [3], maxBatchSize: 1)
                    .generate(prompts: [prompt], parameters: parameters, samplesPerPrompt: samples, promptIDs: [i])
                XCTAssertTrue(alone[0].map(\.tokens) == batched[i].map(\.tokens) && alone[0].map(\.logProbs) == batched[i].map(\.logProbs),
                              "\(samples) sample(s): prompt \(i) alone differs from the batch")
            }
            XCTAssertGreaterThan(Set(batched.joined().map(\.tokens)).count, prompts.count / 2, "samples should differ")
        }
        let peaked = try TinyModels.model("llama-tied-gqa", seed: 10)
        let greedy = try Generator(model: peaked, endOfSequenceTokenIDs: [], maxBatchSize: 8)
            .generate(prompts: prompts, parameters: .greedy(maxNewTokens: 8), samplesPerPrompt: 1)
        for (i, prompt) in prompts.enumerated() {
            XCTAssertEqual(greedy[i][0].tokens, try argmaxChain(peaked, prompt: prompt, steps: 8), "greedy, prompt \(i)")
        }
    }

    func testTheCommonStartLeavesEveryPromptATokenOfItsOwn() {
        XCTAssertEqual(GenerationRun.commonStart(of: [[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 9]]), 2)
        XCTAssertEqual(GenerationRun.commonStart(of: [[1, 2, 3], [1, 2, 3, 4]]), 2)
        XCTAssertEqual(GenerationRun.commonStart(of: [[1, 2, 3], [1, 2, 3]]), 2)
        XCTAssertEqual(GenerationRun.commonStart(of: [[7, 2], [1, 2]]), 0)
        XCTAssertEqual(GenerationRun.commonStart(of: [[1, 2, 3]]), 0)
        XCTAssertEqual(GenerationRun.commonStart(of: [[1], [1]]), 0)
        XCTAssertEqual(GenerationRun.commonStart(of: []), 0)
    }

    /// Returned log-probs are the full forward's log-softmax at each generated token, and EOS
    /// ends a sample with the EOS token included.
    func testLogProbsMatchFullForwardAndEOSStops() throws {
        let model = try TinyModels.model("llama-untied-mha", seed: 8)
        let v = model.configuration.vocabularySize
        let parameters = GenerateParameters(temperature: 0.8, topK: 20, maxNewTokens: 10, seed: 3, returnLogProbs: true)
        let results = try Generator(model: model, endOfSequenceTokenIDs: [], maxBatchSize: 4)
            .generate(prompts: prompts, parameters: parameters, samplesPerPrompt: 3)
        for sample in results.joined() {
            let prompt = prompts[sample.promptIndex]
            let full = prompt + sample.tokens
            let logits = try model.logits([full])
            for (k, token) in sample.tokens.enumerated() {
                let row = Array(logits[((prompt.count + k - 1) * v)..<((prompt.count + k) * v)])
                let m = row.max() ?? 0
                let logSumExp = Double(m) + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp(Double($1 - m)) })
                XCTAssertEqual(Double(sample.logProbs?[k] ?? 0), Double(row[Int(token)]) - logSumExp, accuracy: 1e-4)
            }
        }
        // EOS: make the 4th greedy token of prompt 0 the EOS id.
        let greedy = try Generator(model: model, endOfSequenceTokenIDs: [], maxBatchSize: 1)
            .generate(prompts: [prompts[0]], parameters: .greedy(maxNewTokens: 8))[0][0].tokens
        let eos = greedy[3]
        let cut = try XCTUnwrap(greedy.firstIndex(of: eos))
        let stopped = try Generator(model: model, endOfSequenceTokenIDs: [eos], maxBatchSize: 1)
            .generate(prompts: [prompts[0]], parameters: .greedy(maxNewTokens: 8))[0][0]
        XCTAssertEqual(stopped.tokens, Array(greedy[...cut]))
        XCTAssertEqual(stopped.finishReason, .eos)
    }

    /// Stop strings spanning tokens end the sample; text is cut before the stop string; streamed
    /// pieces add up to the text.
    func testStopStringsAndStreaming() throws {
        let model = try TinyModels.model("llama-tied-gqa", seed: 12)
        let tokenizer = LetterTokenizer()
        let generator = Generator(model: model, endOfSequenceTokenIDs: [], maxBatchSize: 4, tokenizer: tokenizer)
        let free = try generator.generate(prompts: [prompts[2]], parameters: .greedy(maxNewTokens: 16))[0][0]
        let fullText = tokenizer.decode(free.tokens.map(Int.init))
        XCTAssertEqual(free.text, fullText)
        // A stop string made of the text of tokens 5 and 6 (spans two tokens).
        let stop = tokenizer.decode([Int(free.tokens[5]), Int(free.tokens[6])])
        let range = try XCTUnwrap(fullText.range(of: stop))
        let expectedText = String(fullText[..<range.lowerBound])
        let completing = fullText.distance(from: fullText.startIndex, to: range.upperBound)  // one char per token
        var events: [GenerationEvent] = []
        var parameters = GenerateParameters.greedy(maxNewTokens: 16)
        parameters.stop = ["not-present-anywhere", stop]
        let stopped = try generator.generate(prompts: [prompts[2]], parameters: parameters, samplesPerPrompt: 2) { events.append($0) }
        for sample in stopped[0] {
            XCTAssertEqual(sample.finishReason, .stop)
            XCTAssertEqual(sample.text, expectedText)
            XCTAssertEqual(sample.tokens, Array(free.tokens[0..<completing]))
            let mine = events.filter { $0.sampleIndex == sample.sampleIndex }
            XCTAssertEqual(mine.map(\.token), sample.tokens)
            XCTAssertEqual(mine.compactMap(\.text).joined(), expectedText)
            XCTAssertEqual(mine.last?.finishReason, .stop)
            XCTAssertEqual(mine.dropLast().compactMap(\.finishReason), [])
        }
    }

    func testInvalidRequestsThrow() throws {
        let model = try TinyModels.model("llama-tied-gqa")
        let generator = Generator(model: model, endOfSequenceTokenIDs: [])
        XCTAssertThrowsError(try generator.generate(prompts: [[]], parameters: GenerateParameters())) {
            XCTAssertTrue("\($0)".contains("prompt 0 is empty"), "\($0)")
        }
        XCTAssertThrowsError(try generator.generate(prompts: [[1, 500]], parameters: GenerateParameters())) {
            XCTAssertTrue("\($0)".contains("500"), "\($0)")
        }
        XCTAssertThrowsError(try generator.generate(prompts: [[1]], parameters: GenerateParameters(stop: ["x"]))) {
            XCTAssertTrue("\($0)".contains("tokenizer"), "\($0)")
        }
        XCTAssertThrowsError(try generator.generate(prompts: [[1]], parameters: GenerateParameters(topP: 2)))
        XCTAssertThrowsError(try generator.generate(prompts: [[1]], parameters: GenerateParameters(), samplesPerPrompt: 0))
        let none = try generator.generate(prompts: [[1, 2]], parameters: GenerateParameters(maxNewTokens: 0), samplesPerPrompt: 2)
        XCTAssertEqual(none[0].map(\.tokens), [[], []])
        XCTAssertEqual(none[0].map(\.finishReason), [.length, .length])
    }
}
