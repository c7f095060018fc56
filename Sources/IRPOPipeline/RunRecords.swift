import Foundation
import IRPOGeneration
import IRPOTasks

/// One row of `iter-<t>/samples.jsonl`: a completion sampled from M_{t-1}.
public struct SampleRecord: Codable, Sendable, Equatable {
    public var questionID: String
    public var sampleIndex: Int
    public var completion: String
    public var tokens: Int
    public var finishReason: FinishReason
    enum CodingKeys: String, CodingKey {
        case completion, tokens
        case questionID = "question_id"
        case sampleIndex = "sample_index"
        case finishReason = "finish_reason"
    }
}

/// One row of `iter-<t>/scored.jsonl`: a sample with its reward.
public struct ScoredRecord: Codable, Sendable, Equatable {
    public var questionID: String
    public var sampleIndex: Int
    public var completion: String
    public var reward: Double
    public var outcome: RewardResult.Outcome
    public var extracted: String?
    enum CodingKeys: String, CodingKey {
        case completion, reward, outcome, extracted
        case questionID = "question_id"
        case sampleIndex = "sample_index"
    }
}

/// One row of `iter-<t>/pairs.jsonl`: TRL's `prompt`/`chosen`/`rejected` plus token ids
/// (`*_ids`, read by the trainer) and the pair's provenance.
public struct PairRecord: Codable, Sendable, Equatable {
    public var prompt: String
    public var chosen: String
    public var rejected: String
    public var questionID: String
    public var chosenSampleIndex: Int?
    public var rejectedSampleIndex: Int?
    public var promptIDs: [Int32]
    public var chosenIDs: [Int32]
    public var rejectedIDs: [Int32]
    enum CodingKeys: String, CodingKey {
        case prompt, chosen, rejected
        case questionID = "question_id"
        case chosenSampleIndex = "chosen_sample_index"
        case rejectedSampleIndex = "rejected_sample_index"
        case promptIDs = "prompt_ids"
        case chosenIDs = "chosen_ids"
        case rejectedIDs = "rejected_ids"
    }
}

/// `iter-<t>/pair_stats.json`: how many questions yielded pairs and why others did not.
public struct PairStatistics: Codable, Sendable, Equatable {
    public var questions = 0
    public var questionsWithPairs = 0
    public var skippedNoLoser = 0
    public var skippedNoWinner = 0
    public var droppedTooLong = 0
    public var droppedByCap = 0
    public var pairs = 0
    /// Fraction of samples with reward 1.
    public var sampleAccuracy = 0.0
    public init() {}
    enum CodingKeys: String, CodingKey {
        case questions, pairs
        case questionsWithPairs = "questions_with_pairs"
        case skippedNoLoser = "skipped_no_loser"
        case skippedNoWinner = "skipped_no_winner"
        case droppedTooLong = "dropped_too_long"
        case droppedByCap = "dropped_by_cap"
        case sampleAccuracy = "sample_accuracy"
    }
}

/// JSON Lines helpers.
public enum JSONLines {
    /// Encodes rows, one compact key-sorted object per line.
    public static func encode<T: Encodable>(_ rows: [T]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for row in rows {
            data.append(try encoder.encode(row))
            data.append(UInt8(ascii: "\n"))
        }
        return data
    }

    /// Decodes every non-empty line of `url`.
    /// - Throws: `PipelineError` naming the file and line.
    public static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> [T] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PipelineError("cannot read \(url.path) (\(error.localizedDescription)); rerun the stage that writes it (irpo run --resume)")
        }
        let decoder = JSONDecoder()
        var rows: [T] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do { rows.append(try decoder.decode(T.self, from: Data(line))) } catch {
                throw PipelineError("\(url.path) line \(index + 1) is not a valid \(T.self) row (\(error)); delete the file and rerun with --resume")
            }
        }
        return rows
    }
}
