import AsyncHTTPClient
import Foundation
import NIOCore

extension OpenAICompatibleBackend {
    /// The result of one attempt.
    enum AttemptOutcome: Sendable {
        /// A 2xx body.
        case success([UInt8])
        /// Worth another attempt: what went wrong, and the server's Retry-After in seconds.
        case retryable(String, retryAfter: Double?)
    }

    /// An attempt that ran out of time.
    struct AttemptTimeout: Error {}

    /// Sends one prompt's body until it succeeds or the retry budget is spent.
    /// - Throws: `BackendError` naming the prompt (and the last failure, or the status and body
    ///   start of a non-retryable answer); `CancellationError` when the work was cancelled.
    func send(body: Data, promptID: Int, n: Int, hadStopStrings: Bool) async throws -> [BackendCompletion] {
        let attempts = configuration.maxRetries + 1
        var lastFailure = "none"
        for attempt in 0..<attempts {
            try Task.checkCancellation()
            switch try await attemptOnce(body: body, promptID: promptID) {
            case let .success(bytes):
                let response: OpenAICompatibleWire.Response
                do { response = try JSONDecoder().decode(OpenAICompatibleWire.Response.self, from: Data(bytes)) } catch {
                    throw BackendError("the answer of \(configuration.endpoint) for prompt \(promptID) is not an OpenAI completion (\(error)); it starts with: \(Self.start(of: bytes)); check base_url points at an OpenAI-compatible server")
                }
                do { return try response.completions(expected: n, chat: configuration.chat, hadStopStrings: hadStopStrings) } catch let error as BackendError {
                    throw BackendError("prompt \(promptID): \(error.message)")
                }
            case let .retryable(failure, retryAfter):
                lastFailure = failure
                if attempt + 1 < attempts {
                    try await Task.sleep(nanoseconds: UInt64(backoff(attempt: attempt, retryAfter: retryAfter) * 1e9))
                }
            }
        }
        throw BackendError("prompt \(promptID) failed after \(attempts) attempts at \(configuration.endpoint); last failure: \(lastFailure); check the server (is it up, overloaded?) or raise sampling.backend.max_retries / timeout_seconds")
    }

    /// Seconds to wait before retry `attempt + 1`: the server's Retry-After when given, else
    /// `initial * 2^attempt` with jitter in [50%, 100%]; both capped at `maxBackoffSeconds`.
    func backoff(attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(max(0, retryAfter), configuration.maxBackoffSeconds) }
        let exponential = configuration.initialBackoffSeconds * pow(2, Double(min(attempt, 30)))
        return min(exponential, configuration.maxBackoffSeconds) * Double.random(in: 0.5...1)
    }

    /// One request with its timeout.
    func attemptOnce(body: Data, promptID: Int) async throws -> AttemptOutcome {
        var request = HTTPClientRequest(url: configuration.endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let prepared = request
        let timeout = configuration.timeoutSeconds
        let limit = configuration.maxResponseBytes
        let client = self.client
        let answer: (status: Int, retryAfter: String?, body: [UInt8])
        do {
            answer = try await withThrowingTaskGroup(of: (Int, String?, [UInt8]).self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, timeout: .nanoseconds(Int64(timeout * 1e9)))
                    var buffer = try await response.body.collect(upTo: limit)
                    return (Int(response.status.code), response.headers.first(name: "Retry-After"),
                            buffer.readBytes(length: buffer.readableBytes) ?? [])
                }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                    throw AttemptTimeout()
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw AttemptTimeout() }
                return first
            }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if error is AttemptTimeout || (error as? HTTPClientError) == .deadlineExceeded || (error as? HTTPClientError) == .readTimeout {
                return .retryable("no complete answer within \(Self.seconds(timeout)) s (timeout_seconds)", retryAfter: nil)
            }
            if error is NIOTooManyBytesError {
                throw BackendError("the answer of \(configuration.endpoint) for prompt \(promptID) is larger than \(limit) bytes; lower max_new_tokens or samples_per_question")
            }
            return .retryable("connection error: \(error)", retryAfter: nil)
        }
        switch answer.status {
        case 200..<300:
            return .success(answer.body)
        case 408, 429, 500...599:
            let seconds = answer.retryAfter.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            return .retryable("HTTP \(answer.status): \(Self.start(of: answer.body))", retryAfter: seconds)
        case 401, 403:
            let hint = configuration.apiKeyEnvironmentVariable.map {
                "check the API key in the environment variable \($0) (sampling.backend.api_key_env)"
            } ?? "the server wants an API key: export it in a variable and name that variable in sampling.backend.api_key_env"
            throw BackendError("\(configuration.endpoint) refused prompt \(promptID) with HTTP \(answer.status) (\(Self.start(of: answer.body))); \(hint)")
        default:
            throw BackendError("\(configuration.endpoint) rejected prompt \(promptID) with HTTP \(answer.status): \(Self.start(of: answer.body)); fix the request settings (sampling.backend.model, sampling parameters) or the server")
        }
    }

    /// The first 300 characters of a body, for messages.
    static func start(of body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return body.count > 300 ? text + "..." : (text.isEmpty ? "(empty body)" : text)
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
