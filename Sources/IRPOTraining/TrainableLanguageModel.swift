import Foundation

/// What the trainer needs from a language model: one flat parameter buffer with a gradient
/// buffer of the same layout, sequence log-probs with a backward pass, and saving.
///
/// `IRPOModel`'s Llama model conforms through an adapter in this module; tests use tiny
/// stand-ins. Calls are synchronous and single-threaded from the trainer's point of view
/// (the model may parallelise inside).
public protocol TrainableLanguageModel: AnyObject {
    /// Number of Float parameters.
    var parameterCount: Int { get }
    /// The parameters (`parameterCount` floats); the optimizer updates them in place.
    var parameterPointer: UnsafeMutablePointer<Float> { get }
    /// The gradients, same layout as the parameters; `backward` accumulates into them.
    var gradientPointer: UnsafeMutablePointer<Float> { get }

    /// Sets every gradient to 0.
    func zeroGradients()

    /// Training forward: for each sequence the sum over scored positions t of
    /// log p(token[t] | token[..<t]); keeps what `backward` needs.
    func forward(_ sequences: [ScoredSequence]) throws -> [Double]

    /// Backward of the last `forward`: accumulates sum_b dLogProbs[b] * d logp_b / d theta into
    /// the gradients.
    func backward(dLogProbs: [Float]) throws

    /// Inference forward (nothing kept): the same log-probs as `forward`, for the frozen
    /// reference model.
    func logProbs(_ sequences: [ScoredSequence]) throws -> [Double]

    /// Writes the model as a Hugging Face folder (config.json + fp32 model.safetensors) to
    /// `directory`, which exists and is empty.
    func save(to directory: URL) throws
}
