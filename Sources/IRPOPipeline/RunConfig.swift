import Foundation
import IRPOBackends
import IRPOGeneration
import IRPOModel
import IRPOTasks
import IRPOTraining

/// Everything one `irpo run` needs, read from a JSON file whose keys are all optional and default
/// to the paper's values (Pang et al. 2024, GSM8K column). Unknown keys are rejected with the
/// nearest valid key; `validate()` names the key and value at fault.
///
/// ```json
/// {"seed_model": "models/m0", "task": {"kind": "gsm8k", "train": "train.jsonl", "test": "test.jsonl"},
///  "sampling": {"samples_per_question": 30, "temperatures": [0.8, 0.8, 1.3]},
///  "pairs": {"pairs_per_question": 10}, "training": {"loss": "rpo", "alpha": 1, "beta": 0.1},
///  "iterations": 4, "evaluation": {"majority_k": 32}}
/// ```
public struct RunConfig: Sendable, Equatable, Encodable {
    /// The task and its data.
    public struct Task: Sendable, Equatable {
        /// A `TaskKind` name: gsm8k, arc, math, jsonl, synthetic-arithmetic.
        public var kind: String = TaskKind.gsm8k.rawValue
        /// Training questions (file tasks).
        public var train: String?
        /// Test questions (file tasks).
        public var test: String?
        /// Dev questions (file tasks; optional).
        public var dev: String?
        /// Reward name in `RewardRegistry.standard`; nil: the task's default.
        public var reward: String?
        /// At most this many training questions per iteration (nil: all).
        public var trainLimit: Int?
        /// Synthetic task: training questions drawn per iteration.
        public var syntheticTrainQuestions: Int = 1500
        /// Synthetic task: test questions.
        public var syntheticTestQuestions: Int = 400
        /// Synthetic task: dev questions.
        public var syntheticDevQuestions: Int = 400
        /// Synthetic task: draw a fresh training pool every iteration (else one pool for all).
        public var freshPoolPerIteration: Bool = true
        /// Synthetic task: its difficulty knobs (`task.synthetic`).
        public var synthetic = SyntheticTaskSettings()
        /// Wrap each prompt as a user message in the seed model's chat template (instruct models).
        public var chat: Bool = false
        /// The built-in prompt to use, by task name (nil: the task's own): e.g. `gsm8k`'s paper
        /// prompt for the synthetic questions, for a pretrained model.
        public var prompt: String?
        public init() {}
    }

    /// Sampling of training completions (step 1 of an iteration).
    public struct Sampling: Sendable, Equatable {
        /// N, completions per question (paper: 30).
        public var samplesPerQuestion: Int = 30
        /// Temperature of iteration t is `temperatures[min(t, count) - 1]` (paper GSM8K: 0.8, 0.8, 1.3).
        public var temperatures: [Double] = [0.8, 0.8, 1.3]
        /// top-p, max new tokens, stop strings, seed (temperature is set per iteration).
        public var generation = GenerateParameters(temperature: 0.8, topP: 1, maxNewTokens: 512)
        /// KV-cache slots of the local engine.
        public var batchSize: Int = 32
        /// How the local engine's decode kernel holds the weights (`q8_0`: faster, samples of the
        /// Q8_0-quantised model; every generation of the run's local engine, evaluation included).
        public var weights: DecodeWeightFormat = .f32
        /// Where completions come from: the local engine or an OpenAI-compatible server (`sampling.backend`).
        public var backend = SamplingBackend()
        public init() {}

        /// The parameters of iteration `t` (1-based).
        public func parameters(iteration t: Int) -> GenerateParameters {
            var parameters = generation
            parameters.temperature = Float(temperatures[min(t, temperatures.count) - 1])
            parameters.seed = generation.seed &+ UInt64(t) &* 1_000_003
            return parameters
        }
    }

    /// Pair construction (step 3).
    public struct Pairs: Sendable, Equatable {
        /// K, pairs per question (paper: 10 on GSM8K).
        public var pairsPerQuestion: Int = 10
        /// Add the gold solution to the winners (paper: GSM8K yes).
        public var goldAsWinner: Bool = true
        /// Keep at most this many pairs, a seeded random subset (paper: ~60k).
        public var maxPairs: Int = 60_000
        public init() {}
    }

    /// `training.loss`: the objective of an iteration's training.
    public enum Loss: String, Sendable, Equatable, CaseIterable {
        /// DPO + alpha NLL on the winners (the paper's).
        case rpo
        /// DPO alone (alpha = 0).
        case dpo
        /// NLL on the chosen only: STaR, or SFT on gold.
        case sft
    }

    /// Training (step 4). The settings that mean the same for one iteration's trainer and in
    /// the file (learning rate, schedule, warm-up, batch and micro-batch, epochs, gradient
    /// clipping, maximum length, checkpoint interval) live in `trainer`, a
    /// `TrainerConfiguration`, under the file's key names; the rest are the file's own: the loss
    /// as a name with its numbers, per-iteration lists, the per-iteration step cap, checkpoint
    /// selection, LoRA and gradient checkpointing. `RunConfig.trainerConfiguration(pairCount:
    /// iteration:)` resolves them into one iteration's `TrainerConfiguration`.
    public struct Training: Sendable, Equatable {
        /// The objective (paper: rpo).
        public var loss: Loss = .rpo
        /// alpha, the NLL weight (paper: 1).
        public var alpha: Double = 1
        /// beta of the DPO term (paper: 0.1).
        public var beta: Double = 0.1
        /// sequence (paper), token (TRL's sft term) or sum.
        public var nllNormalization: NLLNormalization = .perSequence
        /// Learning rate (paper: 7e-7), schedule, warm-up, batch (paper: 16) and micro-batch,
        /// epochs, gradient clipping, maximum length (longer pairs are dropped) and checkpoint
        /// interval (0: at the end; resume continues from the last one), with the trainer's
        /// defaults; its objective, optimizer, step count and seed are set per iteration.
        public var trainer = TrainerConfiguration()
        /// Peak learning rate of iteration t: `iterationLearningRates[min(t, count) - 1]` (the last
        /// one repeats); nil: `trainer.learningRate` in every iteration. A small model moved far in
        /// its first iteration can need a gentler rate in the next ones.
        public var iterationLearningRates: [Double]?
        /// Epochs of iteration t: `iterationEpochs[min(t, count) - 1]` (the last one repeats);
        /// nil: `trainer.epochs` in every iteration. An iteration with several times more pairs
        /// than the first can need fewer passes over them.
        public var iterationEpochs: [Int]?
        /// At most this many optimizer steps per iteration (paper: 5000).
        public var maxSteps: Int = 5000
        /// AdamW decoupled weight decay.
        public var weightDecay: Double = 0
        /// Held-out training questions on which every `selection_every`-th step of an iteration's
        /// training (and its last step) is scored by greedy accuracy; the best-scoring step becomes
        /// M_t (the paper: "checkpoint chosen on held-out training questions"). 0 (the default):
        /// no selection, M_t is the last step. They come from the training data and are never trained
        /// on: the last ones of `task.train`, or for the synthetic task a separate draw of training questions.
        public var selectionQuestions: Int = 0
        /// Steps between scored checkpoints when `selection_questions` > 0 (the last step is always scored).
        public var selectionEvery: Int = 10
        /// Gradient checkpointing: training passes keep only each layer's input and the backward
        /// recomputes the layer (same gradients, less memory, more time). Built-in trainer only.
        public var gradientCheckpointing: Bool = false
        /// Low-rank adapters on a frozen M_{t-1}, merged into M_t (nil: full training).
        public var lora: LoRASettings?
        public init() {}
    }

    /// Evaluation (step 5).
    public struct Evaluation: Sendable, Equatable {
        /// Evaluate greedy decoding.
        public var greedy: Bool = true
        /// k of majority vote (paper: 32); 0 disables it.
        public var majorityK: Int = 32
        /// Temperature of the majority-vote samples (paper: 0.8).
        public var majorityTemperature: Double = 0.8
        /// At most this many test (and dev) questions (nil: all).
        public var limit: Int?
        /// The majority vote runs on the first this many of a split's evaluated questions (nil:
        /// all of them); greedy decoding still covers every question.
        public var majorityLimit: Int?
        /// The splits the majority vote runs on (nil: every split in `splits`); greedy decoding
        /// still covers every split. Voting is k times the sampling of greedy decoding, so a run
        /// may keep it for the split it reports (test) and tune on greedy dev accuracy.
        public var majoritySplits: [String]?
        /// Max new tokens when evaluating.
        public var maxNewTokens: Int = 512
        /// Splits to evaluate: "test" and/or "dev".
        public var splits: [String] = ["test"]
        /// Evaluate the seed model M0 too (iter-0).
        public var evaluateSeedModel: Bool = true
        public init() {}
    }

    /// Run name (the default run directory is runs/<name>).
    public var name: String = "irpo-run"
    /// M0: any model path `ModelSource` accepts: a Hugging Face model folder (config.json,
    /// model.safetensors, and a tokenizer), a `.gguf` file, or a folder holding one.
    public var seedModel: String = ""
    public var task = Task()
    public var sampling = Sampling()
    public var pairs = Pairs()
    public var training = Training()
    /// T, the number of iterations (paper GSM8K: 4).
    public var iterations: Int = 4
    public var evaluation = Evaluation()
    /// Worker threads (nil: all cores).
    public var threads: Int?
    /// Seed of everything random (question pools, subsampling, data order, sampling).
    public var seed: UInt64 = 0
    /// Who trains: the built-in trainer or an external command (`trainer`).
    public var trainer = TrainerSettings()
    /// Per-baseline training settings of `irpo compare` (`baselines`).
    public var baselines = BaselineSettings()
    /// Extra copies of every iteration's model (`output`).
    public var output = OutputSettings()

    /// The paper's defaults.
    public init() {}

    /// Writes every key as a config file spells it (the run's `config.json`); `RunConfig(json:)`
    /// reads it back as the same config.
    public func encode(to encoder: any Encoder) throws {
        try Self.schema.value(of: self).encode(to: encoder)
    }

}

extension RunConfig {
    /// `sampling.backend`: where sampling and evaluation completions come from.
    ///
    /// ```json
    /// "backend": {"type": "openai", "base_url": "http://127.0.0.1:8000", "model": "m0",
    ///             "api_key_env": "OPENAI_API_KEY", "max_concurrency": 16, "seed_mode": "irpo"}
    /// ```
    public struct SamplingBackend: Sendable, Equatable {
        /// Where completions come from.
        public enum Kind: String, Sendable, Equatable, CaseIterable {
            /// The built-in engine on the model folder.
            case local
            /// An OpenAI-compatible server.
            case openai
        }

        /// local or openai.
        public var type: Kind = .local
        /// The server's root URL (openai).
        public var baseURL: String?
        /// The served model name sent in every request (openai).
        public var model: String?
        /// The NAME of the environment variable holding the API key (never the key).
        public var apiKeyEnv: String?
        /// Most requests in flight.
        public var maxConcurrency: Int = 8
        /// Seconds per attempt.
        public var timeoutSeconds: Double = 600
        /// Retries per prompt on connection errors, timeouts, 429 and 5xx.
        public var maxRetries: Int = 5
        /// Use /v1/chat/completions with the prompt as a user message.
        public var chat: Bool = false
        /// "per_prompt" (seed derived from seed and prompt id; any server) or "irpo" (`irpo serve`:
        /// the local engine's exact samples).
        public var seedMode: OpenAICompatibleConfiguration.SeedMode = .perPrompt
        public init() {}

        /// The HTTP client's settings (nil for the local engine).
        public func openAIConfiguration() throws -> OpenAICompatibleConfiguration? {
            guard type == .openai else { return nil }
            var configuration = OpenAICompatibleConfiguration(baseURL: baseURL ?? "", model: model ?? "", apiKeyEnvironmentVariable: apiKeyEnv)
            configuration.maxConcurrency = maxConcurrency
            configuration.timeoutSeconds = timeoutSeconds
            configuration.maxRetries = maxRetries
            configuration.chat = chat
            configuration.seedMode = seedMode
            return configuration
        }
    }

    /// `trainer`: the built-in trainer, or an external command (e.g. examples/trl/train_dpo.py).
    ///
    /// ```json
    /// "trainer": {"type": "external", "command": ["python", "examples/trl/train_dpo.py"],
    ///             "env": {"CUDA_VISIBLE_DEVICES": "0"},
    ///             "server_reload": {"command": ["sh", "-c", "restart-vllm.sh {model}"], "timeout_seconds": 900}}
    /// ```
    public struct TrainerSettings: Sendable, Equatable {
        /// Who trains.
        public enum Kind: String, Sendable, Equatable, CaseIterable {
            /// The built-in trainer.
            case builtin
            /// An external command (`command`).
            case external
        }

        /// builtin or external.
        public var type: Kind = .builtin
        /// The external command (argv, no shell) with `ExternalTrainerJob` placeholders.
        public var command: [String] = []
        /// Extra environment of the command (written to config.json: no secrets here, export them instead).
        public var env: [String: String] = [:]
        /// Run after every training stage so the sampling server serves the new model.
        public var serverReload: ServerReload?
        public init() {}

        /// `trainer.server_reload`.
        public struct ServerReload: Sendable, Equatable {
            /// Command with `{model}` and `{iteration}`; may be empty (only wait for readiness).
            public var command: [String] = []
            /// Polled until 2xx; default: `sampling.backend.base_url` + `/v1/models`.
            public var readyURL: String?
            public var timeoutSeconds: Double = 600
            public init() {}
        }
    }

    /// Checks `sampling.backend` and `trainer`.
    /// - Throws: `PipelineError` naming the key and the value.
    func validateBackendAndTrainer() throws {
        let backend = sampling.backend
        if backend.type == .openai {
            guard backend.baseURL != nil else { throw PipelineError("config key `sampling.backend.base_url` is missing; the openai backend needs the server URL, e.g. http://127.0.0.1:8000") }
            guard backend.model != nil else { throw PipelineError("config key `sampling.backend.model` is missing; give the served model name (GET /v1/models)") }
            do { try backend.openAIConfiguration()?.validate() } catch { throw PipelineError("config section `sampling.backend`: \(error)") }
            if backend.chat && task.chat {
                throw PipelineError("config keys `task.chat` and `sampling.backend.chat` are both true, so prompts would be wrapped in the chat template twice (once here, once by the server); set `sampling.backend.chat: false` (task.chat renders the template with the seed model's tokenizer and the run trains on exactly those prompts)")
            }
        }
        if trainer.type == .external {
            do { try ExternalTrainer(command: trainer.command).validate() } catch { throw PipelineError("config section `trainer`: \(error)") }
        }
        if trainer.serverReload != nil {
            do {
                guard let hook = try serverReloadHook() else {
                    throw PipelineError("config key `trainer.server_reload.ready_url` is missing; set it or use sampling.backend.type openai (its base_url + /v1/models is polled)")
                }
                try hook.validate()
            } catch let error as PipelineError { throw error } catch { throw PipelineError("config section `trainer.server_reload`: \(error)") }
        }
    }

    /// The external trainer (nil for the built-in one).
    public var externalTrainer: ExternalTrainer? {
        trainer.type == .external ? ExternalTrainer(command: trainer.command, environment: trainer.env) : nil
    }

    /// The reload hook with its readiness URL resolved (nil when none is configured or no URL is known).
    public func serverReloadHook() throws -> OpenAICompatibleServerReload? {
        guard let reload = trainer.serverReload else { return nil }
        let base = sampling.backend.type == .openai ? try sampling.backend.openAIConfiguration()?.baseURL : nil
        var root = base ?? ""
        while root.hasSuffix("/") { root.removeLast() }
        if root.hasSuffix("/v1") { root.removeLast(3) }
        guard let url = reload.readyURL ?? (base == nil ? nil : root + "/v1/models") else { return nil }
        var hook = OpenAICompatibleServerReload(command: reload.command, readinessURL: url, timeoutSeconds: reload.timeoutSeconds)
        hook.environment = trainer.env
        return hook
    }

    /// Makes the sampling backend for a model folder: the local engine, or one HTTP client for the
    /// configured server (which must be serving that model; see `trainer.server_reload`).
    /// - Throws: `BackendError` when the API key variable is unset.
    public func backendFactory() throws -> (URL) throws -> any InferenceBackend {
        guard let configuration = try sampling.backend.openAIConfiguration() else {
            let batch = sampling.batchSize, chat = task.chat, weights = sampling.weights
            return { try LocalInferenceBackend(modelFolder: $0, batchSize: batch, chatPrompts: chat, decodeWeights: weights) }
        }
        _ = try configuration.apiKey()
        var withPrompts = configuration
        withPrompts.promptsIncludeSpecialTokens = task.chat
        let final = withPrompts
        return { _ in try OpenAICompatibleBackend(configuration: final) }
    }

    /// The external trainer's job of iteration `t`.
    public func externalTrainerJob(iteration t: Int, inputModel: URL, pairs: URL, referenceLogProbs: URL?, output: URL,
                                   pairCount: Int) -> ExternalTrainerJob {
        var job = ExternalTrainerJob(inputModel: inputModel, pairs: pairs, referenceLogProbs: referenceLogProbs,
                                     outputDirectory: output, iteration: t)
        job.loss = training.loss.rawValue
        job.alpha = training.loss == .dpo ? 0 : training.alpha
        job.beta = training.beta
        job.nllNormalization = training.nllNormalization.rawValue
        let configuration = trainerConfiguration(pairCount: pairCount, iteration: t)
        job.learningRate = configuration.learningRate
        job.epochs = configuration.epochs
        job.batchSize = training.trainer.batchSize
        job.maxSteps = configuration.maxSteps ?? training.maxSteps
        job.seed = seed
        return job
    }
}
