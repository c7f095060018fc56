import IRPOModel
import IRPOTensor

/// One `Generator.generate` call: the scheduler (admission into slots, shared prefills,
/// batched decode steps) and the per-sample bookkeeping.
struct GenerationRun {
    let generator: Generator
    let prompts: [[Int32]]
    let parameters: GenerateParameters
    let samplesPerPrompt: Int
    /// Stream identity of each prompt.
    let promptIDs: [Int]
    let onToken: ((GenerationEvent) -> Void)?
    let sampler: Sampler
    let vocabulary: Int

    /// Results by `[prompt][sample]`, filled as samples finish.
    var results: [[GenerationResult?]]
    /// Per slot: the sample decoding there.
    var slots: [SequenceState?]
    /// Per prompt: the prompt-only slot holding its prefill, and the logits after its last token;
    /// dropped once every sample of the prompt has started (the slot stays in use while samples
    /// share its rows).
    var prefixes: [Int: (slot: Int, logits: [Float])] = [:]
    /// Whether the samples of a prompt share one prefill (more than one sample per prompt).
    var sharesPrefixes: Bool { samplesPerPrompt > 1 }

    /// The slot holding the tokens that every prompt of the call begins with (a chat template's
    /// system prompt and a task's instruction), prefilled once and read in place by every
    /// prompt's prefill, and their count; nil when the prompts share fewer than
    /// `minimumSharedPrefix` tokens. Prefills use the batch-invariant kernel, so a prompt's keys
    /// and values are the same with or without the shared part.
    var sharedPrefix: (slot: Int, length: Int)?
    /// Shorter common starts are prefilled with each prompt.
    static let minimumSharedPrefix = 16

    /// The number of tokens every prompt begins with, leaving at least one token of each prompt
    /// to prefill on its own (its logits start the sample); 0 for a single prompt.
    static func commonStart(of prompts: [[Int32]]) -> Int {
        guard prompts.count > 1, let first = prompts.first else { return 0 }
        var length = (prompts.map(\.count).min() ?? 1) - 1
        for prompt in prompts.dropFirst() {
            var i = 0
            while i < length && prompt[i] == first[i] { i += 1 }
            length = i
        }
        return max(0, length)
    }

    /// Prompt-only slots after the sample slots: enough for the prompts whose samples usually run
    /// together (a prompt's samples are admitted one after another), plus two. When a sample
    /// outlives its prompt's neighbours and none is free, a sample prefills its prompt in its own
    /// slot instead (the same arithmetic, only unshared), which bounds the cache's memory.
    func promptSlotCount(sampleSlots: Int) -> Int {
        guard sharesPrefixes else { return 0 }
        return generator.promptSlotLimit ?? min(sampleSlots, (sampleSlots + samplesPerPrompt - 1) / samplesPerPrompt + 2)
    }

    init(generator: Generator, prompts: [[Int32]], parameters: GenerateParameters, samplesPerPrompt: Int,
         promptIDs: [Int], onToken: ((GenerationEvent) -> Void)?) {
        self.promptIDs = promptIDs
        self.generator = generator
        self.prompts = prompts
        self.parameters = parameters
        self.samplesPerPrompt = samplesPerPrompt
        self.onToken = onToken
        sampler = Sampler(parameters: parameters)
        vocabulary = generator.model.configuration.vocabularySize
        results = prompts.map { _ in [GenerationResult?](repeating: nil, count: samplesPerPrompt) }
        slots = []
    }

    mutating func execute() throws -> [[GenerationResult]] {
        let total = prompts.count * samplesPerPrompt
        guard total > 0 else { return prompts.map { _ in [] } }
        if parameters.maxNewTokens == 0 {
            return prompts.indices.map { i in
                (0..<samplesPerPrompt).map { j in
                    GenerationResult(promptIndex: i, sampleIndex: j, tokens: [], text: generator.tokenizer == nil ? nil : "",
                                     finishReason: .length, logProbs: parameters.returnLogProbs ? [] : nil)
                }
            }
        }
        let longestPrompt = prompts.map(\.count).max() ?? 1
        let slotCount = min(generator.maxBatchSize, total)
        // Saturating: a huge max_new_tokens is refused by the cache's size check, not an overflow.
        let (capacity, overflow) = longestPrompt.addingReportingOverflow(parameters.maxNewTokens)
        let common = Self.commonStart(of: prompts)
        let sharing = common >= Self.minimumSharedPrefix && generator.matmul == .batchInvariant
        let promptSlots = promptSlotCount(sampleSlots: slotCount)
        let cache = try KVCache(configuration: generator.model.configuration,
                                capacities: [Int](repeating: overflow ? Int.max : capacity, count: slotCount)
                                    + [Int](repeating: longestPrompt, count: promptSlots)
                                    + (sharing ? [common] : []))
        slots = [SequenceState?](repeating: nil, count: slotCount)
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: slotCount * vocabulary)
        defer { logits.deallocate() }

        try Parallel.withSpinningWorkers {
            if sharing, let first = prompts.first {
                let slot = slotCount + promptSlots
                try generator.model.decode([DecodeSegment(slot: slot, tokens: Array(first[..<common]))], cache: cache, rows: .last,
                                           matmul: generator.matmul, packedWeights: generator.packedWeights, into: logits)
                sharedPrefix = (slot, common)
            }
            try decodeLoop(total: total, slotCount: slotCount, cache: cache, logits: logits)
        }
        return try results.enumerated().map { i, samples in
            try samples.enumerated().map { j, result in
                guard let result else {
                    throw GenerationError.invalidRequest("internal error: sample \(j) of prompt \(i) did not finish; please report this")
                }
                return result
            }
        }
    }

    /// Admits waiting samples into free slots and runs batched decode steps until every sample
    /// has finished.
    mutating func decodeLoop(total: Int, slotCount: Int, cache: KVCache, logits: UnsafeMutablePointer<Float>) throws {
        var next = 0  // next (prompt, sample) to admit, prompt-major
        while true {
            // Admission: fill free slots with waiting samples.
            var admitted = false
            for slot in 0..<slotCount where slots[slot] == nil && next < total {
                try admit(promptIndex: next / samplesPerPrompt, sampleIndex: next % samplesPerPrompt, slot: slot, cache: cache)
                next += 1
                admitted = true
            }
            let active = (0..<slotCount).filter { slots[$0] != nil }
            if active.isEmpty {
                if next >= total { break }
                if !admitted { break }
                continue
            }
            // One decode step for every active sample.
            let segments = active.map { DecodeSegment(slot: $0, tokens: [slots[$0]?.pending ?? 0]) }
            try generator.model.decode(segments, cache: cache, rows: .last, matmul: generator.matmul,
                                       packedWeights: generator.packedWeights, into: logits)
            let drawn = sampleRows(logits, slots: active)
            for (row, slot) in active.enumerated() {
                accept(drawn[row], slot: slot, cache: cache)
            }
        }
    }

    /// A prompt-only slot for a new prompt's prefill (shared in place with each of its samples):
    /// one that no sample reads and no waiting prompt holds; nil when none is free or prompts
    /// have one sample each.
    func freePromptSlot(cache: KVCache) -> Int? {
        guard sharesPrefixes else { return nil }
        let pending = Set(prefixes.values.map(\.slot))
        return (slots.count..<cache.slotCount).first {
            $0 != sharedPrefix?.slot && cache.sharerCount(of: $0) == 0 && !pending.contains($0)
        }
    }

    /// Runs `prompt` into the empty `slot` (after reading the shared prefix in place, if any)
    /// and returns the logits after its last token.
    func prefill(_ prompt: [Int32], into slot: Int, cache: KVCache) throws -> [Float] {
        var start = 0
        if let shared = sharedPrefix {
            cache.sharePrefix(from: shared.slot, to: slot, length: shared.length)
            start = shared.length
        }
        var rowLogits = [Float](repeating: 0, count: vocabulary)
        try rowLogits.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            try generator.model.decode([DecodeSegment(slot: slot, tokens: Array(prompt[start...]))], cache: cache, rows: .last,
                                       matmul: generator.matmul, packedWeights: generator.packedWeights, into: base)
        }
        return rowLogits
    }

    /// Starts sample `sampleIndex` of prompt `promptIndex` in `slot`: shares or runs the prompt's
    /// prefill, then samples the first token.
    mutating func admit(promptIndex: Int, sampleIndex: Int, slot: Int, cache: KVCache) throws {
        let prompt = prompts[promptIndex]
        var rowLogits: [Float]
        cache.reset(slot: slot)
        if let prefix = prefixes[promptIndex] {
            cache.sharePrefix(from: prefix.slot, to: slot, length: prompt.count)
            rowLogits = prefix.logits
            if sampleIndex + 1 == samplesPerPrompt { prefixes[promptIndex] = nil }
        } else if let free = freePromptSlot(cache: cache) {
            cache.reset(slot: free)
            let prefix = (slot: free, logits: try prefill(prompt, into: free, cache: cache))
            cache.sharePrefix(from: free, to: slot, length: prompt.count)
            rowLogits = prefix.logits
            if sampleIndex + 1 < samplesPerPrompt { prefixes[promptIndex] = prefix }
        } else {
            rowLogits = try prefill(prompt, into: slot, cache: cache)
        }
        var state = SequenceState(promptIndex: promptIndex, sampleIndex: sampleIndex, promptLength: prompt.count,
                                  stream: SampleStream(seed: parameters.seed, prompt: promptIDs[promptIndex], sample: sampleIndex))
        if parameters.repetitionPenalty != 1 { state.seen = Set(prompt) }
        if let tokenizer = generator.tokenizer {
            state.text = SequenceState.TextState(decoder: IncrementalTextDecoder(tokenizer: tokenizer),
                                                 matcher: StopStringMatcher(stops: parameters.stop))
        }
        slots[slot] = state
        let drawn = rowLogits.withUnsafeMutableBufferPointer { buffer -> SampledToken in
            guard let base = buffer.baseAddress else { return SampledToken(token: 0, logProb: 0) }
            return sampler.sample(logits: base, vocabularySize: vocabulary, seenTokens: state.seen,
                                  stream: &state.stream, computeLogProb: parameters.returnLogProbs)
        }
        slots[slot]?.stream = state.stream
        accept(drawn, slot: slot, cache: cache)
    }

    /// Samples one token per active slot from `logits` rows (in parallel; each row uses only its
    /// own stream, so the split does not matter).
    mutating func sampleRows(_ logits: UnsafeMutablePointer<Float>, slots active: [Int]) -> [SampledToken] {
        var streams = active.map { slots[$0]?.stream ?? SampleStream(seed: 0, prompt: 0, sample: 0) }
        let seen = active.map { slots[$0]?.seen ?? [] }
        var drawn = [SampledToken](repeating: SampledToken(token: 0, logProb: 0), count: active.count)
        let sampler = self.sampler, vocabulary = self.vocabulary, wantLogProbs = parameters.returnLogProbs
        streams.withUnsafeMutableBufferPointer { streamBuffer in
            drawn.withUnsafeMutableBufferPointer { drawnBuffer in
                guard let streamBase = streamBuffer.baseAddress, let drawnBase = drawnBuffer.baseAddress else { return }
                Parallel.forEach(count: active.count) { row in
                    drawnBase[row] = sampler.sample(
                        logits: logits + row * vocabulary, vocabularySize: vocabulary, seenTokens: seen[row],
                        stream: &streamBase[row], computeLogProb: wantLogProbs)
                }
            }
        }
        for (row, slot) in active.enumerated() { slots[slot]?.stream = streams[row] }
        return drawn
    }

    /// Records a sampled token for the sample in `slot`, reports it, and retires the sample if
    /// it is finished.
    mutating func accept(_ drawn: SampledToken, slot: Int, cache: KVCache) {
        guard var state = slots[slot] else { return }
        let token = drawn.token
        state.tokens.append(token)
        if parameters.returnLogProbs { state.logProbs.append(drawn.logProb) }
        if parameters.repetitionPenalty != 1 { state.seen.insert(token) }
        state.pending = token
        var piece: String?
        let isEOS = generator.endOfSequenceTokenIDs.contains(token)
        if var text = state.text {
            var newText = isEOS ? "" : text.decoder.append(Int(token))
            if isEOS || state.tokens.count >= parameters.maxNewTokens { newText += text.decoder.flush() }
            var released = text.matcher.append(newText)
            if text.matcher.stopped {
                state.finishReason = .stop
            } else if isEOS || state.tokens.count >= parameters.maxNewTokens || cache.length(of: slot) >= cache.capacity(of: slot) {
                released += text.matcher.finish()
            }
            text.output += released
            piece = released
            state.text = text
        }
        if state.finishReason == nil {
            if isEOS {
                state.finishReason = .eos
            } else if state.tokens.count >= parameters.maxNewTokens || cache.length(of: slot) >= cache.capacity(of: slot) {
                state.finishReason = .length
            }
        }
        onToken?(GenerationEvent(promptIndex: state.promptIndex, sampleIndex: state.sampleIndex, token: token,
                                 logProb: drawn.logProb, text: piece, finishReason: state.finishReason))
        if let reason = state.finishReason {
            results[state.promptIndex][state.sampleIndex] = GenerationResult(
                promptIndex: state.promptIndex, sampleIndex: state.sampleIndex, tokens: state.tokens,
                text: state.text?.output, finishReason: reason, logProbs: parameters.returnLogProbs ? state.logProbs : nil)
            slots[slot] = nil
            // Stop reading the prompt's shared rows, so its prompt slot can be reused.
            cache.reset(slot: slot)
        } else {
            slots[slot] = state
        }
    }
}
