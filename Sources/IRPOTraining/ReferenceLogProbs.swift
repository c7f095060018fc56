import Foundation

/// Summed completion log-probs of every kept example under the frozen reference model,
/// indexed like the examples, computed once per dataset and stored next to the pairs.
///
/// The cache file is JSON: `{"format": "irpo-ref-logps-v1", "examples_checksum": hex,
/// "reference_model": text, "count": n, "chosen": [...], "rejected": [...]}`; it is reused
/// only if the checksum of the examples' token ids and the reference-model text match, so a
/// changed pairs file, max length or tokenizer recomputes it.
public struct ReferenceLogProbs: Codable, Sendable, Equatable {
    /// File format tag.
    public var format = ReferenceLogProbs.formatTag
    /// `Checksum.of(examples).hex` of the examples the values belong to.
    public var examplesChecksum: String
    /// What the reference model was (e.g. its path); a mismatch invalidates the cache.
    public var referenceModel: String
    /// log pi_ref(w|x) per example.
    public var chosen: [Double]
    /// log pi_ref(l|x) per example (0 for SFT examples).
    public var rejected: [Double]

    /// The current format tag.
    public static let formatTag = "irpo-ref-logps-v1"

    enum CodingKeys: String, CodingKey {
        case format, chosen, rejected
        case examplesChecksum = "examples_checksum"
        case referenceModel = "reference_model"
    }

    /// Memberwise init.
    public init(examplesChecksum: String, referenceModel: String, chosen: [Double], rejected: [Double]) {
        self.examplesChecksum = examplesChecksum
        self.referenceModel = referenceModel
        self.chosen = chosen
        self.rejected = rejected
    }

    /// Computes the values with `model` (inference forwards of `sequencesPerForward`
    /// sequences, sorted by length to limit padding). `progress(done, total)` is called after
    /// each forward.
    public static func compute<Model: TrainableLanguageModel>(
        model: Model, examples: [TrainingExample], referenceModel: String, sequencesPerForward: Int = 8,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> ReferenceLogProbs {
        precondition(sequencesPerForward >= 1, "sequencesPerForward must be >= 1")
        var jobs: [(example: Int, rejected: Bool, sequence: ScoredSequence)] = []
        for (index, example) in examples.enumerated() {
            jobs.append((index, false, example.chosenSequence))
            if let sequence = example.rejectedSequence { jobs.append((index, true, sequence)) }
        }
        jobs.sort { $0.sequence.tokens.count != $1.sequence.tokens.count
            ? $0.sequence.tokens.count > $1.sequence.tokens.count : ($0.example, $0.rejected ? 1 : 0) < ($1.example, $1.rejected ? 1 : 0) }
        var chosen = Array(repeating: 0.0, count: examples.count)
        var rejected = Array(repeating: 0.0, count: examples.count)
        var done = 0
        for start in stride(from: 0, to: jobs.count, by: sequencesPerForward) {
            let group = jobs[start..<min(jobs.count, start + sequencesPerForward)]
            let values = try model.logProbs(group.map(\.sequence))
            for (job, value) in zip(group, values) {
                guard value.isFinite else {
                    throw TrainingError.invalidData(file: referenceModel, line: examples[job.example].line, message:
                        "the reference log-prob of this row is not finite (\(value)); check the reference model's weights")
                }
                if job.rejected { rejected[job.example] = value } else { chosen[job.example] = value }
            }
            done += group.count
            progress(done, jobs.count)
        }
        return ReferenceLogProbs(examplesChecksum: Checksum.of(examples).hex, referenceModel: referenceModel,
                                 chosen: chosen, rejected: rejected)
    }

    /// Whether the values belong to `examples` under `referenceModel`.
    public func matches(_ examples: [TrainingExample], referenceModel: String) -> Bool {
        format == Self.formatTag && examplesChecksum == Checksum.of(examples).hex && self.referenceModel == referenceModel
            && chosen.count == examples.count && rejected.count == examples.count
    }

    /// Reads a cache file; nil if it does not exist.
    /// - Throws: `TrainingError.invalidData` if it exists but cannot be decoded.
    public static func load(from url: URL) throws -> ReferenceLogProbs? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(ReferenceLogProbs.self, from: Data(contentsOf: url))
        } catch {
            throw TrainingError.invalidData(file: url.path, line: nil, message: "is not a reference log-prob cache (\(error)); delete it to recompute")
        }
    }

    /// Writes the cache atomically (temp file + rename).
    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// The cache or freshly computed values: loads `url` if it matches `examples` and
    /// `referenceModel`, else calls `makeModel`, computes, saves to `url` and lets the model go.
    public static func cached<Model: TrainableLanguageModel>(
        at url: URL, examples: [TrainingExample], referenceModel: String, sequencesPerForward: Int = 8,
        makeModel: () throws -> Model, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> (values: ReferenceLogProbs, reused: Bool) {
        if let existing = try load(from: url), existing.matches(examples, referenceModel: referenceModel) {
            return (existing, true)
        }
        let values = try compute(model: try makeModel(), examples: examples, referenceModel: referenceModel,
                                 sequencesPerForward: sequencesPerForward, progress: progress)
        try values.save(to: url)
        return (values, false)
    }
}
