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

/// Where completions come from during sampling and evaluation: the local engine today, an
/// OpenAI-compatible server later (DESIGN.md, "When one machine is not enough").
public protocol InferenceBackend {
    /// A short description for logs and reports ("local:<model path>").
    var name: String { get }

    /// `samplesPerPrompt` completions for every prompt, indexed `[prompt][sample]`.
    /// - Parameters:
    ///   - promptIDs: stable numbers of the prompts (dataset rows), so a prompt gets the same
    ///     samples in any request.
    ///   - progress: called with (finished samples, total samples).
    func complete(prompts: [String], promptIDs: [Int], parameters: GenerateParameters, samplesPerPrompt: Int,
                  progress: (Int, Int) -> Void) throws -> [[BackendCompletion]]
}
