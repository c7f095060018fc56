import AsyncHTTPClient
import Foundation
import IRPOTraining
import NIOCore

/// After an iteration's training, makes the sampling server serve the new model: runs a command
/// (argv, no shell; `{model}` is the new model folder, `{iteration}` the iteration) that restarts
/// or reloads the server, then polls `GET readinessURL` until it answers 2xx or the timeout passes.
///
/// The command must return once the reload is under way: start a long-running server in the
/// background (e.g. `["sh", "-c", "nohup vllm serve {model} --port 8000 > vllm.log 2>&1 &"]`).
public struct OpenAICompatibleServerReload: Sendable, Equatable {
    /// The reload command; an empty command only waits for readiness.
    public var command: [String]
    /// Polled until it answers 2xx, e.g. `http://127.0.0.1:8000/v1/models`.
    public var readinessURL: String
    /// Longest wait for readiness after the command, in seconds.
    public var timeoutSeconds: Double = 600
    /// Pause between polls, in seconds.
    public var pollIntervalSeconds: Double = 1
    /// Extra environment variables of the command.
    public var environment: [String: String] = [:]

    /// A hook running `command` and then polling `readinessURL`.
    public init(command: [String], readinessURL: String, timeoutSeconds: Double = 600) {
        self.command = command
        self.readinessURL = readinessURL
        self.timeoutSeconds = timeoutSeconds
    }

    /// Checks the URL, timeout and placeholders.
    /// - Throws: `BackendError` naming the bad field.
    public func validate() throws {
        guard let url = URL(string: readinessURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw BackendError("trainer.server_reload.ready_url \"\(readinessURL)\" is not an http(s) URL; use e.g. http://127.0.0.1:8000/v1/models")
        }
        guard timeoutSeconds.isFinite, timeoutSeconds > 0, timeoutSeconds <= BackendLimits.maxTimeoutSeconds else {
            throw BackendError("trainer.server_reload.timeout_seconds \(timeoutSeconds) must be a number > 0 and <= \(BackendLimits.maxTimeoutSeconds)")
        }
        guard pollIntervalSeconds.isFinite, pollIntervalSeconds > 0, pollIntervalSeconds <= BackendLimits.maxTimeoutSeconds else {
            throw BackendError("trainer.server_reload poll interval \(pollIntervalSeconds) must be > 0")
        }
        _ = try ExternalTrainer.substitute(command, values: ["model": "/", "iteration": "1"], what: "trainer.server_reload.command")
    }

    /// Runs the command for `model` and waits until the server is ready.
    /// - Parameter log: receives the command's output lines and progress notes.
    /// - Throws: `BackendError` when the command fails or the server is not ready in time.
    public func run(model: URL, iteration: Int, log: (String) -> Void) throws {
        // The timeouts are converted to integers below: never with unchecked values.
        try validate()
        if !command.isEmpty {
            let arguments = try ExternalTrainer.substitute(command, values: ["model": model.path, "iteration": String(iteration)],
                                                           what: "trainer.server_reload.command")
            var variables = ProcessInfo.processInfo.environment
            variables.merge(environment) { _, new in new }
            let outcome = try ExternalTrainerProcess(arguments: arguments, environment: variables).run(line: log)
            guard outcome.exitCode == 0, !outcome.signalled else {
                throw BackendError("the server reload command \(arguments.joined(separator: " ")) exited with status \(outcome.exitCode); last output:\n\(outcome.lastLines.joined(separator: "\n"))\nfix trainer.server_reload.command, then resume the run")
            }
        }
        log("waiting for \(readinessURL) (up to \(Int(timeoutSeconds)) s)")
        try waitUntilReady()
    }

    /// Polls the readiness URL until a 2xx answer.
    /// - Throws: `BackendError` with the last failure when the timeout passes.
    public func waitUntilReady() throws {
        let box = ReadinessResult()
        let url = readinessURL
        let timeout = timeoutSeconds
        let interval = pollIntervalSeconds
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            box.failure = await Self.poll(url: url, timeout: timeout, interval: interval)
            semaphore.signal()
        }
        semaphore.wait()
        if let failure = box.failure {
            throw BackendError("the server at \(url) was not ready within \(Int(timeout)) s after the reload (last answer: \(failure)); check the reload command's output and the server's log, or raise trainer.server_reload.timeout_seconds")
        }
    }

    /// Nil when ready, else the last failure.
    static func poll(url: String, timeout: Double, interval: Double) async -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no answer"
        while true {
            do {
                var request = HTTPClientRequest(url: url)
                request.method = .GET
                let remaining = max(0.1, min(5, deadline.timeIntervalSinceNow))
                let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(remaining * 1000)))
                _ = try? await response.body.collect(upTo: 1 << 20)
                if (200..<300).contains(Int(response.status.code)) { return nil }
                last = "HTTP \(response.status.code)"
            } catch {
                last = "\(error)"
            }
            if Date().addingTimeInterval(interval) > deadline { return last }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }
}

/// The poll's answer, written by the task before it signals the waiting thread.
/// Unchecked Sendable: written by the poll task before it signals the semaphore the reading thread waits on.
private final class ReadinessResult: @unchecked Sendable {
    var failure: String?
}
