import Foundation

/// Where and how `OpenAICompatibleBackend` talks to a server (vLLM, SGLang, TGI, llama.cpp server,
/// `irpo serve`). Every field has a default except the base URL and the model name.
public struct OpenAICompatibleConfiguration: Sendable, Equatable {
    /// How the per-prompt seed is sent.
    public enum SeedMode: String, Sendable, Equatable, CaseIterable, Codable {
        /// `seed = OpenAICompatibleBackend.derivedSeed(seed, promptID)`: reproducible per prompt on
        /// any server that honours `seed` (vLLM, SGLang, llama.cpp), but not equal to the local engine.
        case perPrompt = "per_prompt"
        /// `seed` unchanged plus the extension field `irpo_prompt_id`: `irpo serve` then returns
        /// exactly the local engine's samples (stream keyed by seed, prompt id, sample index).
        case irpo
    }

    /// The server's root, e.g. `http://127.0.0.1:8000` (a trailing `/v1` is accepted).
    public var baseURL: String
    /// The `model` field of each request (the served model name).
    public var model: String
    /// The NAME of the environment variable that holds the API key (never the key itself); nil: no key.
    public var apiKeyEnvironmentVariable: String?
    /// Most requests in flight at once.
    public var maxConcurrency: Int = 8
    /// Seconds one attempt (connect, send, whole response) may take before it is abandoned and retried.
    public var timeoutSeconds: Double = 600
    /// Retries after the first attempt on connection errors, timeouts, 429 and 5xx.
    public var maxRetries: Int = 5
    /// First backoff in seconds; doubles on every retry, with jitter.
    public var initialBackoffSeconds: Double = 1
    /// Longest backoff in seconds (also caps a server's Retry-After).
    public var maxBackoffSeconds: Double = 60
    /// Use `/v1/chat/completions` with the prompt as one user message (else `/v1/completions`).
    public var chat: Bool = false
    /// Prompts are rendered chat templates that write their own special tokens (a run with
    /// `task.chat`): `/v1/completions` requests carry `add_special_tokens: false` (vLLM, `irpo
    /// serve`) so the server does not add a second BOS.
    public var promptsIncludeSpecialTokens: Bool = false
    /// How seeds reach the server.
    public var seedMode: SeedMode = .perPrompt
    /// Largest response body read, in bytes.
    public var maxResponseBytes: Int = 64 << 20

    /// A configuration with defaults for everything but the server and the model.
    public init(baseURL: String, model: String, apiKeyEnvironmentVariable: String? = nil) {
        self.baseURL = baseURL
        self.model = model
        self.apiKeyEnvironmentVariable = apiKeyEnvironmentVariable
    }

    /// Checks every field.
    /// - Throws: `BackendError` naming the field, its value and the valid range.
    public func validate() throws {
        func fail(_ key: String, _ value: Any, _ expected: String) -> BackendError {
            BackendError("OpenAI-compatible backend setting `\(key)` has value \(value), expected \(expected)")
        }
        guard let url = URL(string: baseURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw fail("base_url", "\"\(baseURL)\"", "an http(s) URL such as http://127.0.0.1:8000")
        }
        guard !model.isEmpty else { throw fail("model", "\"\"", "the served model name (see GET /v1/models)") }
        if let name = apiKeyEnvironmentVariable {
            guard !name.isEmpty, name.allSatisfy({ $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw fail("api_key_env", "\"\(name)\"", "the NAME of an environment variable (e.g. OPENAI_API_KEY), not the key")
            }
        }
        let maxTimeout = BackendLimits.maxTimeoutSeconds
        guard (1...BackendLimits.maxConcurrency).contains(maxConcurrency) else {
            throw fail("max_concurrency", maxConcurrency, "an integer in 1...\(BackendLimits.maxConcurrency)")
        }
        guard timeoutSeconds.isFinite, timeoutSeconds > 0, timeoutSeconds <= maxTimeout else {
            throw fail("timeout_seconds", timeoutSeconds, "a number > 0 and <= \(maxTimeout)")
        }
        guard (0...BackendLimits.maxRetries).contains(maxRetries) else {
            throw fail("max_retries", maxRetries, "an integer in 0...\(BackendLimits.maxRetries)")
        }
        guard initialBackoffSeconds.isFinite, initialBackoffSeconds >= 0, initialBackoffSeconds <= maxTimeout else {
            throw fail("initial_backoff_seconds", initialBackoffSeconds, "a number in 0...\(maxTimeout)")
        }
        guard maxBackoffSeconds.isFinite, maxBackoffSeconds >= initialBackoffSeconds, maxBackoffSeconds <= maxTimeout else {
            throw fail("max_backoff_seconds", maxBackoffSeconds, "a number >= initial_backoff_seconds (\(initialBackoffSeconds)) and <= \(maxTimeout)")
        }
        guard maxResponseBytes >= 1024 else { throw fail("max_response_bytes", maxResponseBytes, "an integer >= 1024") }
    }

    /// `baseURL` without a trailing slash or `/v1`.
    var root: String {
        var root = baseURL
        while root.hasSuffix("/") { root.removeLast() }
        if root.hasSuffix("/v1") { root.removeLast(3) }
        return root
    }

    /// The endpoint of a request.
    var endpoint: String { root + (chat ? "/v1/chat/completions" : "/v1/completions") }

    /// The API key from the environment variable named in the configuration (nil without one).
    /// - Throws: `BackendError` naming the variable when it is unset or empty.
    public func apiKey(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        guard let name = apiKeyEnvironmentVariable else { return nil }
        guard let key = environment[name], !key.isEmpty else {
            throw BackendError("the API key variable \(name) (sampling.backend.api_key_env) is not set; export \(name)=<key> before the run, or remove api_key_env for a server without authentication")
        }
        return key
    }
}
