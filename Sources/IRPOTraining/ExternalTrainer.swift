import Foundation
import IRPOFormats
import IRPOModel

/// Hands an iteration's training to a user command (e.g. `examples/trl/train_dpo.py` under
/// accelerate or DeepSpeed) and checks what it leaves behind.
///
/// The command is an argv array run without a shell. Every `{placeholder}` of `ExternalTrainerJob`
/// in it is substituted, and the job's `IRPO_*` variables are added to the environment (on top of
/// this process's environment and `environment`). Its stdout and stderr go line by line to the
/// log callback. It must exit with status 0 and leave a loadable HF model folder (config.json and
/// safetensors weights) in `IRPO_OUTPUT_DIR`; the iteration loop continues from that folder.
public struct ExternalTrainer: Sendable, Equatable {
    /// The program and its arguments, with `{placeholders}`.
    public var command: [String]
    /// Extra environment variables (e.g. `CUDA_VISIBLE_DEVICES`, `ACCELERATE_CONFIG_FILE`).
    public var environment: [String: String]
    /// Working directory of the command (nil: this process's).
    public var workingDirectory: URL?

    /// A trainer running `command`.
    public init(command: [String], environment: [String: String] = [:], workingDirectory: URL? = nil) {
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// Checks the command is non-empty and names only known placeholders.
    /// - Throws: `ExternalTrainerError` naming the bad element.
    public func validate() throws {
        guard let program = command.first, !program.isEmpty else {
            throw ExternalTrainerError("trainer.command is empty; give the program and its arguments as a list, e.g. [\"python\", \"examples/trl/train_dpo.py\"]")
        }
        let known = ExternalTrainerJob(inputModel: URL(fileURLWithPath: "/"), pairs: URL(fileURLWithPath: "/"),
                                       outputDirectory: URL(fileURLWithPath: "/"), iteration: 1).placeholders
        _ = try Self.substitute(command, values: known, what: "trainer.command")
    }

    /// The command with the job's placeholders substituted.
    /// - Throws: `ExternalTrainerError` naming an unknown placeholder.
    public func arguments(for job: ExternalTrainerJob) throws -> [String] {
        try Self.substitute(command, values: job.placeholders, what: "trainer.command")
    }

    /// Runs the command for `job`, then checks its output folder.
    /// - Parameter log: receives each output line while the command runs.
    /// - Throws: `ExternalTrainerError` with the exit status and the last lines of output when the command
    ///   fails, or naming the output folder when it holds no loadable model.
    public func run(job: ExternalTrainerJob, log: (String) -> Void) throws {
        let arguments = try arguments(for: job)
        try FileManager.default.createDirectory(at: job.outputDirectory.deletingLastPathComponent(), withIntermediateDirectories: true)
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { _, new in new }
        variables.merge(job.environment) { _, new in new }
        let process = ExternalTrainerProcess(arguments: arguments, environment: variables, workingDirectory: workingDirectory)
        let outcome = try process.run(line: log)
        guard outcome.exitCode == 0, !outcome.signalled else {
            let how = outcome.signalled ? "was killed by signal \(outcome.exitCode)" : "exited with status \(outcome.exitCode)"
            let tail = outcome.lastLines.isEmpty ? "(no output)" : outcome.lastLines.joined(separator: "\n")
            throw ExternalTrainerError("the external trainer \(arguments.joined(separator: " ")) \(how) in iteration \(job.iteration); its last output lines:\n\(tail)\nfix the trainer, then resume the run (--resume)")
        }
        try Self.checkModelFolder(job.outputDirectory)
    }

    /// Checks `folder` holds a model this package loads: a config.json it accepts and safetensors
    /// weights whose headers parse (the tensors themselves are not read).
    /// - Throws: `ExternalTrainerError` naming the folder and what is missing.
    public static func checkModelFolder(_ folder: URL) throws {
        let manager = FileManager.default
        let configURL = folder.appendingPathComponent("config.json")
        guard manager.fileExists(atPath: configURL.path) else {
            throw ExternalTrainerError("the external trainer left no model in \(folder.path) (no config.json); make it save an HF model folder (model.save_pretrained) to IRPO_OUTPUT_DIR")
        }
        do { _ = try LlamaConfiguration.decode(Data(contentsOf: configURL), file: configURL.path) } catch {
            throw ExternalTrainerError("the model the external trainer wrote in \(folder.path) cannot be loaded: \(error)")
        }
        let names = (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
        let weights = names.filter { $0.hasSuffix(".safetensors") }.sorted()
        guard !weights.isEmpty else {
            throw ExternalTrainerError("the external trainer left no safetensors weights in \(folder.path) (found: \(names.sorted().joined(separator: ", "))); save with safe_serialization=True")
        }
        for name in weights {
            do { _ = try SafetensorsFile(contentsOf: folder.appendingPathComponent(name)) } catch {
                throw ExternalTrainerError("the weights \(folder.appendingPathComponent(name).path) the external trainer wrote are not valid safetensors: \(error)")
            }
        }
    }

    /// Replaces `{name}` in every element; `{{` and `}}` stand for literal braces.
    package static func substitute(_ arguments: [String], values: [String: String], what: String) throws -> [String] {
        try arguments.enumerated().map { position, argument in
            var result = ""
            var rest = Substring(argument)
            while let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
                result += rest[..<open]
                let after = rest.index(after: open)
                if after < rest.endIndex, rest[after] == rest[open] {
                    result.append(rest[open])
                    rest = rest[rest.index(after: after)...]
                    continue
                }
                guard rest[open] == "{", let close = rest[after...].firstIndex(of: "}") else {
                    throw ExternalTrainerError("\(what)[\(position)] \"\(argument)\" has an unmatched brace; write {{ or }} for a literal brace")
                }
                let name = String(rest[after..<close])
                guard let value = values[name] else {
                    throw ExternalTrainerError("\(what)[\(position)] \"\(argument)\" names the unknown placeholder {\(name)}; known: \(values.keys.sorted().map { "{\($0)}" }.joined(separator: ", "))")
                }
                result += value
                rest = rest[rest.index(after: close)...]
            }
            return result + rest
        }
    }
}
