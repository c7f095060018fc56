import ArgumentParser
import Foundation
import IRPOModel
import IRPOServer
import IRPOTensor

/// `irpo serve`: an OpenAI-compatible HTTP server over the local engine.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over an OpenAI-compatible HTTP API (/v1/models, /v1/completions, /v1/chat/completions).",
        discussion: """
        Loads MODEL (a Hugging Face folder with tokenizer.json or the demo's irpo_char_vocab.json, or a
        .gguf file) and listens on http://HOST:PORT/v1 (127.0.0.1 by default). Concurrent requests with
        the same sampling parameters are batched into one engine round. With "seed": S, choice i of
        prompt p equals the local engine's sample (S, irpo_prompt_id or p, i). Stop with Ctrl-C.

        Example: irpo serve --model models/smollm2-135m-instruct --port 8000 --name smollm2
        """)

    @Option(name: .long, help: "A Hugging Face model folder or a .gguf file.")
    var model: String

    @Option(name: .long, help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "TCP port (0 = any free port).")
    var port = 8000

    @Option(name: .long, help: "Model id shown by /v1/models and expected in requests (default: the model's folder or file name).")
    var name: String?

    @Option(name: .long, help: "Most samples the engine decodes together.")
    var maxBatch = 32

    @Option(name: .long, help: "max_tokens of requests that do not set it.")
    var defaultMaxTokens = 256

    @Option(name: .long, help: "Largest request body in bytes.")
    var maxBodyBytes = 1 << 20

    @Option(name: .long, help: "Most requests waiting for or running on the engine; more get HTTP 429.")
    var maxQueued = ServerLimits.defaultMaxQueuedRequests

    @Option(name: .long, help: "Seconds a connection may stay idle (no request, or an unfinished one) before it is closed.")
    var idleTimeout = ServerLimits.defaultIdleTimeoutSeconds

    @Option(name: .long, help: "Most connections open at once; more are closed when accepted.")
    var maxConnections = ServerLimits.defaultMaxConnections

    @Option(name: .long, help: "How the decode kernel holds the weights: f32 (exact, default) or q8_0 (the linear weights quantised to Q8_0: faster, completions of the quantised model).")
    var weights: DecodeWeightFormat = .f32

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        guard (1...ServerLimits.maxBatchSize).contains(maxBatch) else {
            throw ValidationError("--max-batch must be in 1...\(ServerLimits.maxBatchSize), got \(maxBatch)")
        }
        guard defaultMaxTokens >= 1 else { throw ValidationError("--default-max-tokens must be at least 1, got \(defaultMaxTokens)") }
        guard (1...ServerLimits.maxBodyBytes).contains(maxBodyBytes) else {
            throw ValidationError("--max-body-bytes must be in 1...\(ServerLimits.maxBodyBytes), got \(maxBodyBytes)")
        }
        guard (1...ServerLimits.maxQueuedRequests).contains(maxQueued) else {
            throw ValidationError("--max-queued must be in 1...\(ServerLimits.maxQueuedRequests), got \(maxQueued)")
        }
        guard idleTimeout.isFinite, idleTimeout > 0, idleTimeout <= ServerLimits.maxIdleTimeoutSeconds else {
            throw ValidationError("--idle-timeout must be a number of seconds in (0, \(ServerLimits.maxIdleTimeoutSeconds)], got \(idleTimeout)")
        }
        guard (1...ServerLimits.maxConnections).contains(maxConnections) else {
            throw ValidationError("--max-connections must be in 1...\(ServerLimits.maxConnections), got \(maxConnections)")
        }
    }

    func run() async throws {
        compute.context().apply()
        let modelName = name ?? URL(fileURLWithPath: model).standardizedFileURL.lastPathComponent
        var configuration = OpenAIServerConfiguration(host: host, port: port, modelName: modelName, maxBodyBytes: maxBodyBytes,
                                                      maxBatchSize: maxBatch, defaultMaxTokens: defaultMaxTokens,
                                                      maxQueuedRequests: maxQueued, idleTimeoutSeconds: idleTimeout,
                                                      maxConnections: maxConnections)
        configuration.decodeWeights = weights
        let server = try OpenAIServer(modelPath: model, configuration: configuration)
        let host = self.host
        try await server.run { port in
            // Written unbuffered, so a supervising process sees the URL at once.
            FileHandle.standardOutput.write(Data("irpo serve: model '\(modelName)' on http://\(host):\(port)/v1 (Ctrl-C to stop)\n".utf8))
        }
    }
}
