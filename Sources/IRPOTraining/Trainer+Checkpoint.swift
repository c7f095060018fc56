import Foundation
import IRPOTensor

extension Trainer {
    /// The folder name of the checkpoint after `step` steps.
    public static func checkpointName(step: Int) -> String {
        let digits = String(step)
        return "checkpoint-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The complete checkpoint with the highest step in `directory`, if any. Partial
    /// checkpoints (interrupted writes) are never complete: they are renamed into place only
    /// when fully written.
    public static func latestCheckpoint(in directory: URL) -> URL? {
        checkpoints(in: directory).last?.url
    }

    static func checkpoints(in directory: URL) -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("checkpoint-"), let step = Int(name.dropFirst("checkpoint-".count)) else { return nil }
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("trainer_state.json").path) else { return nil }
            return (step, url)
        }.sorted { $0.0 < $1.0 }
    }

    /// Writes `<output>/checkpoint-NNNNNN/` = `model/` (the model's HF folder) +
    /// `optimizer.bin` (first then second moments, little-endian fp32) + `trainer_state.json`,
    /// into a temporary folder renamed into place, then removes checkpoints beyond the limit.
    public func writeCheckpoint() throws {
        guard let outputDirectory else { return }
        let manager = FileManager.default
        try manager.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        let name = Self.checkpointName(step: completedSteps)
        let final = outputDirectory.appendingPathComponent(name)
        let temporary = outputDirectory.appendingPathComponent(".\(name).partial")
        do {
            try? manager.removeItem(at: temporary)
            let modelDirectory = temporary.appendingPathComponent("model")
            try manager.createDirectory(at: modelDirectory, withIntermediateDirectories: true)
            do {
                try model.save(to: modelDirectory)
            } catch {
                throw TrainingError.model("saving the model failed: \(error)")
            }
            try writeOptimizer(to: temporary.appendingPathComponent("optimizer.bin"))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(currentState()).write(to: temporary.appendingPathComponent("trainer_state.json"))
            if manager.fileExists(atPath: final.path) {
                let stale = outputDirectory.appendingPathComponent(".\(name).stale")
                try? manager.removeItem(at: stale)
                try manager.moveItem(at: final, to: stale)
                try manager.moveItem(at: temporary, to: final)
                try? manager.removeItem(at: stale)
            } else {
                try manager.moveItem(at: temporary, to: final)
            }
        } catch let error as TrainingError {
            try? manager.removeItem(at: temporary)
            throw error
        } catch {
            try? manager.removeItem(at: temporary)
            throw TrainingError.checkpoint(path: final.path, message: "cannot be written (\(error)); check free disk space and permissions")
        }
        lastCheckpoint = final
        for old in Self.checkpoints(in: outputDirectory).dropLast(configuration.checkpointLimit) where old.url != final {
            try? manager.removeItem(at: old.url)
        }
    }

    /// Continues from `checkpoint`: restores the optimizer moments and step, the data order
    /// and generator, and trims metrics.jsonl to the checkpoint's step. The model must already
    /// hold the checkpoint's weights (load it from `checkpoint/model`); this is verified.
    /// - Throws: `TrainingError.checkpoint` naming the mismatch (other data, other settings,
    ///   other weights, damaged files).
    public func resume(from checkpoint: URL) throws {
        func fail(_ message: String) -> TrainingError { .checkpoint(path: checkpoint.path, message: message) }
        let stateURL = checkpoint.appendingPathComponent("trainer_state.json")
        let state: TrainerState
        do {
            state = try JSONDecoder().decode(TrainerState.self, from: Data(contentsOf: stateURL))
        } catch {
            throw fail("trainer_state.json cannot be read (\(error)); pick another checkpoint or start again")
        }
        guard state.format == TrainerState.formatTag else { throw fail("format \(state.format) is not \(TrainerState.formatTag)") }
        guard state.examplesChecksum == examplesChecksum else {
            throw fail("was trained on other examples (checksum \(state.examplesChecksum), now \(examplesChecksum)); use the same pairs file and max length")
        }
        let differences = TrainerState.differences(configuration, state.configuration)
        guard differences.isEmpty else {
            throw fail("was written with other settings: \(differences.joined(separator: "; ")); pass the same options to resume")
        }
        guard state.parameterCount == model.parameterCount else {
            throw fail("holds \(state.parameterCount) parameters but the model has \(model.parameterCount)")
        }
        var parameters = Checksum()
        parameters.add(model.parameterPointer, count: model.parameterCount)
        guard parameters.hex == state.parameterChecksum else {
            throw fail("the model's weights differ from the checkpoint's (checksum \(parameters.hex), expected \(state.parameterChecksum)); load the model from \(checkpoint.appendingPathComponent("model").path) in fp32")
        }
        guard state.step >= 0, state.step <= totalSteps, state.stepInEpoch >= 0, state.stepInEpoch < stepsPerEpoch,
              state.order.isEmpty || (state.order.count == examples.count && Set(state.order) == Set(0..<examples.count)) else {
            throw fail("trainer_state.json holds an inconsistent position (step \(state.step), step in epoch \(state.stepInEpoch)); pick another checkpoint")
        }
        let words = state.generator.compactMap { UInt64($0, radix: 16) }
        guard words.count == state.generator.count, let restored = try? SeededGenerator(state: words) else {
            throw fail("trainer_state.json holds a bad generator state \(state.generator)")
        }
        try readOptimizer(from: checkpoint.appendingPathComponent("optimizer.bin"), expectedChecksum: state.optimizerChecksum, fail: fail)
        optimizer.restore(step: state.optimizerStep)
        completedSteps = state.step
        epochIndex = state.epochIndex
        stepInEpoch = state.stepInEpoch
        order = state.order
        generator = restored
        lastCheckpoint = checkpoint
        try trimMetrics(toStep: state.step)
    }

    func currentState() -> TrainerState {
        var parameters = Checksum()
        parameters.add(model.parameterPointer, count: model.parameterCount)
        return TrainerState(
            format: TrainerState.formatTag, step: completedSteps, epochIndex: epochIndex, stepInEpoch: stepInEpoch,
            order: order, generator: generator.state.map { word in
                let digits = String(word, radix: 16)
                return String(repeating: "0", count: 16 - digits.count) + digits
            },
            optimizerStep: optimizer.step, parameterCount: model.parameterCount,
            parameterChecksum: parameters.hex, optimizerChecksum: optimizerChecksum(),
            examplesChecksum: examplesChecksum, configuration: configuration)
    }

    func optimizerChecksum() -> String {
        var checksum = Checksum()
        if let first = optimizer.firstMoment.baseAddress, let second = optimizer.secondMoment.baseAddress {
            checksum.add(first, count: optimizer.count)
            checksum.add(second, count: optimizer.count)
        }
        return checksum.hex
    }

    func writeOptimizer(to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw TrainingError.checkpoint(path: url.path, message: "cannot be created; check permissions and free disk space")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        for moments in [optimizer.firstMoment, optimizer.secondMoment] {
            guard let base = moments.baseAddress, moments.count > 0 else { continue }
            try handle.write(contentsOf: Data(bytesNoCopy: base, count: moments.count * MemoryLayout<Float>.size, deallocator: .none))
        }
        try handle.synchronize()
    }

    func readOptimizer(from url: URL, expectedChecksum: String, fail: (String) -> TrainingError) throws {
        let bytes = optimizer.count * MemoryLayout<Float>.size
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw fail("optimizer.bin cannot be read (\(error)); pick another checkpoint")
        }
        guard data.count == 2 * bytes else {
            throw fail("optimizer.bin has \(data.count) bytes, expected \(2 * bytes) for \(optimizer.count) parameters; pick another checkpoint")
        }
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let first = optimizer.firstMoment.baseAddress,
                  let second = optimizer.secondMoment.baseAddress else { return }
            UnsafeMutableRawPointer(first).copyMemory(from: base, byteCount: bytes)
            UnsafeMutableRawPointer(second).copyMemory(from: base + bytes, byteCount: bytes)
        }
        guard optimizerChecksum() == expectedChecksum else {
            throw fail("optimizer.bin does not match its checksum in trainer_state.json (damaged file); pick another checkpoint")
        }
    }

    /// Saves the model to `url` through a temporary folder renamed into place.
    func saveModelAtomically(to url: URL) throws {
        let manager = FileManager.default
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        try? manager.removeItem(at: temporary)
        try manager.createDirectory(at: temporary, withIntermediateDirectories: true)
        do {
            try model.save(to: temporary)
        } catch {
            try? manager.removeItem(at: temporary)
            throw TrainingError.model("saving the model to \(url.path) failed: \(error)")
        }
        if manager.fileExists(atPath: url.path) {
            try manager.removeItem(at: url)
        }
        try manager.moveItem(at: temporary, to: url)
    }
}
