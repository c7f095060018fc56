import Foundation
import IRPOGeneration

/// One completion returned by an inference backend.
public struct BackendCompletion: Sendable, Equatable, Codable {
    /// The text after the prompt (without EOS, cut before a stop string).
    public var text: String
    /// Generated tokens (including EOS).
    public var tokenCount: Int
    /// Why it ended.
    public var finishReason: FinishReason

    public init(text: String, tokenCount: Int, finishReason: FinishReason) {
        self.text = text
        self.tokenCount = tokenCount
        self.finishReason = finishReason
    }
}

/// Where completions come from during sampling and evaluation: the local engine, or an
/// OpenAI-compatible server when sampling is spread over other machines (docs/scale-out.md).
public protocol InferenceBackend {
    /// A short description for logs and reports ("local:<model path>").
    var name: String { get }

    /// `samplesPerPrompt` completions for every prompt, indexed `[prompt][sample]`.
    /// - Parameters:
    ///   - promptIDs: stable numbers of the prompts (dataset rows), so a prompt gets the same
    ///     samples in any request.
    ///   - progress: called with (finished samples, total samples).
    ///   - promptFinished: called once per prompt, as soon as all of its samples are done (in any
    ///     order of prompts), with the prompt's index in `prompts` and its completions; the pipeline
    ///     writes them to disk there so an interrupted stage resumes where it stopped.
    func complete(prompts: [String], promptIDs: [Int], parameters: GenerateParameters, samplesPerPrompt: Int,
                  progress: (Int, Int) -> Void,
                  promptFinished: (Int, [BackendCompletion]) throws -> Void) throws -> [[BackendCompletion]]
}

extension InferenceBackend {
    /// `complete` without a per-prompt callback.
    public func complete(prompts: [String], promptIDs: [Int], parameters: GenerateParameters, samplesPerPrompt: Int,
                         progress: (Int, Int) -> Void) throws -> [[BackendCompletion]] {
        try complete(prompts: prompts, promptIDs: promptIDs, parameters: parameters, samplesPerPrompt: samplesPerPrompt,
                     progress: progress, promptFinished: { _, _ in })
    }
}
