import Foundation
import IRPOTasks

/// A method of the paper's Table 1, run by `irpo compare` from the same seed model on the same data.
public enum Baseline: String, CaseIterable, Sendable, Codable {
    /// The seed model M0 prompted with chain of thought, no training (its iter-0 evaluation).
    case zeroShot = "zero-shot"
    /// The `sft` loss on the gold chains of thought of iteration 1's training questions.
    case sftGold = "sft-gold"
    /// STaR-like: the `sft` loss on the chosen of iteration 1's pairs, one iteration.
    case sftChosen = "sft-chosen"
    /// DPO without the NLL term (alpha = 0) on iteration 1's pairs, one iteration.
    case dpo = "dpo"
    /// Iterative RPO: every iteration of the config.
    case rpo = "rpo"

    /// The row label of the comparison table.
    public var title: String {
        switch self {
        case .zeroShot: return "Zero-shot CoT"
        case .sftGold: return "SFT on gold CoT"
        case .sftChosen: return "SFT on chosen (STaR, 1 iteration)"
        case .dpo: return "DPO without NLL (alpha = 0, iteration 1)"
        case .rpo: return "Iterative RPO"
        }
    }

    /// Whether the method trains one model on iteration 1's data in its own folder `baselines/<name>`.
    public var isIterationOneBaseline: Bool { self == .sftGold || self == .sftChosen || self == .dpo }

    /// Parses "a,b,c".
    /// - Throws: `PipelineError` naming the unknown name and the nearest valid one.
    public static func parseList(_ text: String) throws -> [Baseline] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw PipelineError("--baselines is empty; list some of \(allCases.map(\.rawValue).joined(separator: ","))") }
        var result: [Baseline] = []
        for name in names {
            guard let baseline = Baseline(rawValue: name) else {
                let hint = NameSuggestion.nearest(to: name, among: allCases.map(\.rawValue)).map { " (did you mean \"\($0)\"?)" } ?? ""
                throw PipelineError("unknown baseline \"\(name)\"\(hint); valid: \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !result.contains(baseline) { result.append(baseline) }
        }
        return result
    }
}
