import ArgumentParser
import Foundation
import IRPOFormats
import IRPOPipeline
import IRPOTensor

extension DemoCommand {
    /// The real-model settings with the shared flags applied.
    func smolLM2Settings() throws -> RealModelDemoSettings {
        var settings = RealModelDemoSettings()
        let base = try self.settings()   // validates the shared flags
        if let iterations { settings.iterations = iterations }
        if let seed { settings.seed = seed }
        settings.threads = compute.threads
        settings.devOnly = devOnly
        if let questions { settings.questionsPerIteration = questions }
        if let samples { settings.samplesPerQuestion = samples }
        if let temperature { settings.temperatures = [temperature] }
        if let pairs { settings.pairsPerQuestion = pairs }
        if let lr { settings.learningRate = lr }
        if let batchSize { settings.batchSize = batchSize }
        if let epochs {
            settings.goldEpochs = epochs
            settings.selfIterationEpochs = [epochs]
        }
        if let alpha { settings.alpha = alpha }
        if let beta { settings.beta = beta }
        if evaluationQuestions != nil || devQuestions != nil { settings.devQuestions = base.devQuestions }
        if evaluationQuestions != nil || testQuestions != nil { settings.testQuestions = base.testQuestions }
        if let dpoLr { settings.baselines.dpo.learningRate = dpoLr }
        if let dpoBeta { settings.baselines.dpo.beta = dpoBeta }
        if let sftChosenLr { settings.baselines.sftChosen.learningRate = sftChosenLr }
        if let sftGoldLr { settings.baselines.sftGold.learningRate = sftGoldLr }
        if let laterLr {
            settings.laterLearningRate = laterLr
            settings.selfLaterLearningRate = laterLr
        }
        return settings
    }

    /// `irpo demo --model smollm2`: M0 = SmolLM2-135M-Instruct, then Iterative RPO with the gold
    /// solution as an extra winner and/or with the model's own winners only, and the iteration-1
    /// baselines on the gold variant's pairs.
    func runSmolLM2() throws {
        let variants: [RealModelDemoSettings.Variant]
        switch variant {
        case "both": variants = [.gold, .selfGenerated]
        case "gold": variants = [.gold]
        case "self": variants = [.selfGenerated]
        default: throw ValidationError("--variant must be gold, self or both, got \"\(variant)\"")
        }
        var settings = try smolLM2Settings()
        let folder = URL(fileURLWithPath: output ?? "runs/smollm2")
        let printer = ProgressPrinter()
        RunCancellation.installInterruptHandler()
        ComputeContext(threads: settings.threads).apply()
        printer.line(GEMM.kernelReport())
        let start = Date()
        do {
            let seedFolder = folder.appendingPathComponent("m0/model")
            printer.line(try SmolLM2Model.prepareFolder(seedFolder))
            for variant in variants {
                settings.variant = variant
                let baselines: [Baseline] = variant == .gold && !skipBaselines ? [.zeroShot, .sftGold, .sftChosen, .dpo, .rpo] : [.zeroShot, .rpo]
                var comparison = Comparison(config: settings.runConfig(seedModel: seedFolder.path), baselines: baselines,
                                            directory: folder.appendingPathComponent(variant.rawValue),
                                            log: { printer.line("[\(variant.rawValue)] \($0)") }, progress: { printer.update($0, $1, $2) })
                // Both variants sample the same M0 on the same questions: the second reuses the first's start.
                if variant == .selfGenerated {
                    comparison.sharedStart = folder.appendingPathComponent(RealModelDemoSettings.Variant.gold.rawValue)
                }
                let table = try comparison.run(resume: true)
                print("")
                print("## Variant \(variant.rawValue)")
                print(table.markdown())
                let report = try RunReport(directory: comparison.directory)
                for split in ["test", "dev"] {
                    if let change = report.improvement(split: split) {
                        print("Greedy M\(change.to) - M\(change.from) on \(split): \(change.intervals)")
                    }
                }
            }
            let targets = try RealModelTargets(gold: folder.appendingPathComponent(RealModelDemoSettings.Variant.gold.rawValue),
                                               selfGenerated: folder.appendingPathComponent(RealModelDemoSettings.Variant.selfGenerated.rawValue))
            let targetsFile = folder.appendingPathComponent("targets.md")
            try AtomicFileWriter.write("# Targets of the real-model demo\n\n" + targets.markdown(), to: targetsFile)
            print("")
            print("## Targets")
            print(targets.markdown())
        } catch let error as PipelineError {
            throw ValidationError(error.message)
        } catch let error as SmolLM2Model.NotFound {
            throw ValidationError(error.description)
        }
        print(String(format: "total %.0f s; peak memory %.2f GB; reports under %@", Date().timeIntervalSince(start),
                     Double(ResourceUsage.peakResidentBytes()) / 1e9, folder.path))
    }
}
