import Foundation
import Hummingbird
import IRPOGeneration

extension OpenAIResponder {
    /// `POST /v1/chat/completions`: the messages rendered with the model's chat template (with
    /// the generation prompt); `n` choices.
    func chatCompletions(_ request: ChatCompletionRequest) async throws -> Response {
        guard !request.messages.isEmpty else {
            throw APIError.invalid("'messages' is empty; send at least one message", param: "messages")
        }
        if let index = request.messages.firstIndex(where: { $0.role.isEmpty }) {
            throw APIError.invalid("messages[\(index)] has an empty role; use system, user or assistant", param: "messages")
        }
        if let top = request.topLogprobs, top != 0 {
            throw APIError.invalid("top_logprobs = \(top) is not supported; only the sampled token's log-probability is returned (send 0 or leave it out)",
                                   param: "top_logprobs")
        }
        let prompt: [Int32]
        do {
            prompt = try model.chat.promptTokens(for: request.messages)
        } catch {
            throw APIError.invalid("the messages cannot be rendered with the model's chat template: \(error)", param: "messages")
        }
        if let ids = request.sampling.promptIDs, ids.count != 1 {
            throw APIError.invalid("irpo_prompt_id must be one integer for a chat request", param: "irpo_prompt_id")
        }
        let plan = try validator.plan(request.sampling, prompts: [prompt], logprobs: request.logprobs == true)
        let id = Self.newID(prefix: "chatcmpl-")
        let created = Self.now
        let name = configuration.modelName
        if plan.stream {
            return try streamChat(plan, id: id, created: created)
        }
        let results = try await generate(plan)
        let choices = results.joined().map { result in
            WireFormat.ChatChoice(index: result.sampleIndex,
                                  message: WireFormat.Message(role: "assistant", content: text(of: result)),
                                  logprobs: result.logProbs.map { chatLogprobs(tokens: result.tokens, logprobs: $0) },
                                  finishReason: WireFormat.finishReason(result.finishReason))
        }
        let usage = WireFormat.Usage(promptTokens: plan.promptTokenCount,
                                     completionTokens: results.joined().reduce(0) { $0 + $1.tokens.count })
        return try json(WireFormat.ChatCompletion(id: id, object: "chat.completion", created: created, model: name,
                                                  choices: choices, usage: usage))
    }

    func chatLogprobs(tokens: [Int32], logprobs: [Float]) -> WireFormat.ChatLogprobs {
        WireFormat.ChatLogprobs(content: zip(tokenStrings(tokens), logprobs).map { token, logprob in
            WireFormat.ChatLogprobs.Entry(token: token, logprob: logprob, bytes: Array(token.utf8))
        })
    }

    /// The SSE answer: a role chunk per choice, content deltas, a finish chunk per choice, usage
    /// when asked, `[DONE]`.
    private func streamChat(_ plan: GenerationPlan, id: String, created: Int) throws -> Response {
        let name = configuration.modelName
        let wantLogprobs = plan.parameters.returnLogProbs
        @Sendable func chunk(_ choices: [WireFormat.ChatChoice], usage: WireFormat.Usage? = nil) throws -> Data {
            try WireFormat.encode(WireFormat.ChatCompletion(id: id, object: "chat.completion.chunk", created: created,
                                                            model: name, choices: choices, usage: usage))
        }
        let opening = try (0..<plan.n).map { index in
            try chunk([WireFormat.ChatChoice(index: index, delta: WireFormat.Message(role: "assistant", content: ""))])
        }
        return try eventStream(plan, opening: opening) { event in
            let piece = event.text ?? ""
            var choices: [WireFormat.ChatChoice] = []
            if !piece.isEmpty || wantLogprobs {
                choices.append(WireFormat.ChatChoice(
                    index: event.sampleIndex, delta: WireFormat.Message(content: piece),
                    logprobs: wantLogprobs ? chatLogprobs(tokens: [event.token], logprobs: [event.logProb]) : nil))
            }
            if let reason = event.finishReason {
                choices.append(WireFormat.ChatChoice(index: event.sampleIndex, delta: WireFormat.Message(),
                                                     finishReason: WireFormat.finishReason(reason)))
            }
            return try choices.map { try chunk([$0]) }
        } closing: { results in
            guard plan.includeUsage else { return [] }
            let usage = WireFormat.Usage(promptTokens: plan.promptTokenCount,
                                         completionTokens: results.joined().reduce(0) { $0 + $1.tokens.count })
            return [try chunk([], usage: usage)]
        }
    }
}
