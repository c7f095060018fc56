import AsyncHTTPClient
import Foundation
import IRPOGeneration
import NIOCore

/// Samples through an OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp server, `irpo serve`):
/// one `POST /v1/completions` (or `/v1/chat/completions`) per prompt with `n` = samples per prompt.
///
/// - At most `maxConcurrency` requests are in flight; each attempt has a timeout.
/// - Connection errors, timeouts, 408, 429 and 5xx are retried with exponential backoff and
///   jitter (a server's `Retry-After` seconds are honoured), at most `maxRetries` times per prompt.
/// - Any other 4xx stops the work with the status and the start of the body; 401/403 name the
///   API-key variable to check.
/// - `promptFinished` runs on the calling thread as each prompt's response arrives, so the
///   pipeline persists it at once and a resumed stage asks only for the missing prompts.
///
/// The synchronous `complete` runs the requests as async tasks on the HTTP client's event loops
/// and waits on the calling thread (which must not be an event loop).
///
/// Seeds: in `.perPrompt` mode each request carries `derivedSeed(seed, promptID)`, so a prompt's
/// samples are reproducible on any server that honours `seed`; in `.irpo` mode it carries `seed`
/// and `irpo_prompt_id`, and `irpo serve` returns exactly `LocalInferenceBackend`'s samples.
public final class OpenAICompatibleBackend: InferenceBackend, Sendable {
    /// The server and the request policy.
    public let configuration: OpenAICompatibleConfiguration
    public let name: String
    let client: HTTPClient
    let apiKey: String?

    /// A backend for `configuration`.
    /// - Parameter environment: where the API key variable is looked up (the process environment by default).
    /// - Throws: `BackendError` for an invalid configuration or an unset API key variable.
    public init(configuration: OpenAICompatibleConfiguration,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        try configuration.validate()
        self.configuration = configuration
        self.apiKey = try configuration.apiKey(environment: environment)
        self.name = "openai:\(configuration.root) model \(configuration.model)"
        let readTimeout = TimeAmount.nanoseconds(Int64(configuration.timeoutSeconds * 1e9))
        var clientConfiguration = HTTPClient.Configuration(timeout: .init(connect: min(readTimeout, .seconds(30)), read: readTimeout))
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, configuration.maxConcurrency)
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
    }

    deinit { try? client.syncShutdown() }

    /// The seed sent for `promptID` in `.perPrompt` mode: a hash of both, in 0..<2^31 so that every
    /// server's seed type holds it.
    public static func derivedSeed(seed: UInt64, promptID: Int) -> UInt64 {
        SampleStream(seed: seed, prompt: promptID, sample: 0).key >> 33
    }

    public func complete(prompts: [String], promptIDs: [Int], parameters: GenerateParameters, samplesPerPrompt: Int,
                         progress: (Int, Int) -> Void,
                         promptFinished: (Int, [BackendCompletion]) throws -> Void) throws -> [[BackendCompletion]] {
        try parameters.validate()
        guard samplesPerPrompt >= 1 else { throw BackendError("samples per prompt \(samplesPerPrompt) must be >= 1") }
        guard promptIDs.count == prompts.count else {
            throw BackendError("\(promptIDs.count) prompt ids were given for \(prompts.count) prompts; pass one id per prompt")
        }
        guard parameters.maxNewTokens >= 1 else {
            throw BackendError("max_new_tokens \(parameters.maxNewTokens) must be >= 1 for an OpenAI-compatible server (max_tokens)")
        }
        if prompts.isEmpty { return [] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bodies = try zip(prompts, promptIDs).map { prompt, id in
            try encoder.encode(request(prompt: prompt, promptID: id, parameters: parameters, n: samplesPerPrompt))
        }
        let mailbox = OpenAICompatibleMailbox()
        let task = Task { [self] in
            do {
                try await self.sendAll(bodies: bodies, promptIDs: promptIDs, n: samplesPerPrompt,
                                       hadStopStrings: !parameters.stop.isEmpty, mailbox: mailbox)
                mailbox.finish()
            } catch {
                mailbox.fail(error)
            }
        }
        defer { task.cancel() }
        var results = [[BackendCompletion]?](repeating: nil, count: prompts.count)
        var finished = 0
        let total = prompts.count * samplesPerPrompt
        receiving: while true {
            switch mailbox.next() {
            case let .prompt(index, completions):
                results[index] = completions
                try promptFinished(index, completions)
                finished += samplesPerPrompt
                progress(finished, total)
            case let .failed(error):
                throw error
            case .finished:
                break receiving
            }
        }
        let complete = results.compactMap { $0 }
        guard complete.count == prompts.count else {
            throw BackendError("the sampling requests ended with \(prompts.count - complete.count) of \(prompts.count) prompts unanswered; rerun the stage to request the missing prompts")
        }
        return complete
    }

    /// The request body of one prompt.
    func request(prompt: String, promptID: Int, parameters: GenerateParameters, n: Int) -> OpenAICompatibleWire.Request {
        let irpo = configuration.seedMode == .irpo
        return OpenAICompatibleWire.Request(
            model: configuration.model,
            prompt: configuration.chat ? nil : prompt,
            messages: configuration.chat ? [.init(role: "user", content: prompt)] : nil,
            n: n,
            temperature: parameters.temperature,
            topP: parameters.topP,
            topK: parameters.topK == 0 ? nil : parameters.topK,
            minP: parameters.minP == 0 ? nil : parameters.minP,
            repetitionPenalty: parameters.repetitionPenalty == 1 ? nil : parameters.repetitionPenalty,
            maxTokens: parameters.maxNewTokens,
            stop: parameters.stop.isEmpty ? nil : parameters.stop,
            seed: irpo ? parameters.seed : Self.derivedSeed(seed: parameters.seed, promptID: promptID),
            irpoPromptID: irpo ? promptID : nil,
            logprobs: irpo && !configuration.chat ? 0 : nil,
            addSpecialTokens: configuration.promptsIncludeSpecialTokens && !configuration.chat ? false : nil)
    }

    /// Sends every body with at most `maxConcurrency` in flight, delivering each answer as it comes.
    func sendAll(bodies: [Data], promptIDs: [Int], n: Int, hadStopStrings: Bool, mailbox: OpenAICompatibleMailbox) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(configuration.maxConcurrency, bodies.count) {
                let index = next
                group.addTask {
                    let completions = try await self.send(body: bodies[index], promptID: promptIDs[index], n: n, hadStopStrings: hadStopStrings)
                    mailbox.deliver(index, completions)
                }
                next += 1
            }
            while try await group.next() != nil {
                guard next < bodies.count else { continue }
                let index = next
                group.addTask {
                    let completions = try await self.send(body: bodies[index], promptID: promptIDs[index], n: n, hadStopStrings: hadStopStrings)
                    mailbox.deliver(index, completions)
                }
                next += 1
            }
        }
    }
}
