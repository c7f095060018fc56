import Foundation
import IRPOBackends
import IRPOTasks

/// One line of `iter-<t>/samples.partial.jsonl`: every completion of one question, appended as
/// soon as the backend finishes it (the file is removed once samples.jsonl is written).
struct PartialSampleRecord: Codable, Equatable {
    /// The question's index in questions.jsonl (also its prompt id for the random streams).
    var promptIndex: Int
    var questionID: String
    var completions: [BackendCompletion]
    enum CodingKeys: String, CodingKey {
        case completions
        case promptIndex = "prompt_index"
        case questionID = "question_id"
    }
}

extension IterativeRun {
    /// The completions recorded in `url` by an interrupted sample stage, by question index.
    /// - Throws: `PipelineError` when a row names another question or has the wrong number of samples.
    func partialSamples(at url: URL, items: [TaskItem]) throws -> [Int: [BackendCompletion]] {
        var done: [Int: [BackendCompletion]] = [:]
        for row in try JSONLinesAppender.read(PartialSampleRecord.self, from: url) {
            guard items.indices.contains(row.promptIndex), items[row.promptIndex].id == row.questionID,
                  row.completions.count == config.sampling.samplesPerQuestion else {
                throw PipelineError("\(url.path) holds question \(row.questionID) at index \(row.promptIndex) with \(row.completions.count) samples, "
                    + "which does not match this iteration's questions.jsonl and samples_per_question; delete the file to sample again")
            }
            done[row.promptIndex] = row.completions
        }
        return done
    }
}
