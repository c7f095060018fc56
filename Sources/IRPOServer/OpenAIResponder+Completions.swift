import Foundation
import Hummingbird
import IRPOGeneration

extension OpenAIResponder {
    /// `POST /v1/completions`: choice `p * n + i` is sample `i` of prompt `p`.
    func completions(_ request: CompletionRequest) async throws -> Response {
        if request.echo == true {
            throw APIError.invalid("echo is not supported; send echo: false and prepend the prompt yourself", param: "echo")
        }
        if let suffix = request.suffix, !suffix.isEmpty {
            throw APIError.invalid("suffix is not supported; remove it from the request", param: "suffix")
        }
        if let bestOf = request.bestOf, bestOf != (request.sampling.n ?? 1) {
            throw APIError.invalid("best_of = \(bestOf) is not supported; send best_of equal to n or leave it out", param: "best_of")
        }
        if let logprobs = request.logprobs, !(0...5).contains(logprobs) {
            throw APIError.invalid("logprobs = \(logprobs) is invalid: expected an integer in 0...5", param: "logprobs")
        }
        let prompts: [[Int32]]
        switch request.prompt {
        case let .texts(texts):
            try RequestValidator.checkPromptCount(texts.count)
            if let empty = texts.firstIndex(where: \.isEmpty) {
                throw APIError.invalid("prompt \(empty) is an empty string; send a non-empty prompt", param: "prompt")
            }
            prompts = texts.map { model.tokenizer.encodePrompt($0, addSpecialTokens: request.addSpecialTokens) }
        case let .tokenLists(lists):
            prompts = try validator.checkTokenPrompts(lists)
        }
        let plan = try validator.plan(request.sampling, prompts: prompts, logprobs: request.logprobs != nil)
        let id = Self.newID(prefix: "cmpl-")
        let created = Self.now
        let name = configuration.modelName
        if plan.stream {
            return try streamCompletion(plan, id: id, created: created)
        }
        let results = try await generate(plan)
        var choices: [WireFormat.CompletionChoice] = []
        for row in results {
            for result in row {
                choices.append(WireFormat.CompletionChoice(
                    index: result.promptIndex * plan.n + result.sampleIndex, text: text(of: result),
                    logprobs: result.logProbs.map { completionLogprobs(tokens: result.tokens, logprobs: $0) },
                    finishReason: WireFormat.finishReason(result.finishReason)))
            }
        }
        let usage = WireFormat.Usage(promptTokens: plan.promptTokenCount,
                                     completionTokens: results.joined().reduce(0) { $0 + $1.tokens.count })
        return try json(WireFormat.Completion(id: id, object: "text_completion", created: created, model: name, choices: choices, usage: usage))
    }

    /// OpenAI's completion `logprobs` for sampled `tokens`.
    func completionLogprobs(tokens: [Int32], logprobs: [Float], startOffset: Int = 0) -> WireFormat.CompletionLogprobs {
        let strings = tokenStrings(tokens)
        var offsets: [Int] = []
        var offset = startOffset
        for piece in strings {
            offsets.append(offset)
            offset += piece.count
        }
        return WireFormat.CompletionLogprobs(tokens: strings, tokenLogprobs: logprobs, textOffset: offsets)
    }

    /// The SSE answer: one `text_completion` chunk per released piece of text, a final chunk per
    /// choice with its finish reason, usage when `stream_options.include_usage` is set, then `[DONE]`.
    private func streamCompletion(_ plan: GenerationPlan, id: String, created: Int) throws -> Response {
        let name = configuration.modelName
        let wantLogprobs = plan.parameters.returnLogProbs
        return try eventStream(plan, opening: []) { event in
            let piece = event.text ?? ""
            guard !piece.isEmpty || event.finishReason != nil || wantLogprobs else { return [] }
            let logprobs = wantLogprobs ? completionLogprobs(tokens: [event.token], logprobs: [event.logProb]) : nil
            let choice = WireFormat.CompletionChoice(index: event.promptIndex * plan.n + event.sampleIndex, text: piece,
                                                     logprobs: logprobs, finishReason: event.finishReason.map(WireFormat.finishReason))
            return [try WireFormat.encode(WireFormat.Completion(id: id, object: "text_completion", created: created, model: name, choices: [choice], usage: nil))]
        } closing: { results in
            guard plan.includeUsage else { return [] }
            let usage = WireFormat.Usage(promptTokens: plan.promptTokenCount,
                                         completionTokens: results.joined().reduce(0) { $0 + $1.tokens.count })
            return [try WireFormat.encode(WireFormat.Completion(id: id, object: "text_completion", created: created, model: name, choices: [], usage: usage))]
        }
    }
}
