import Foundation
import IRPOGeneration
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
    public struct Task: Sendable, Equatable, Encodable {
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
        public init() {}
        enum CodingKeys: String, CodingKey {
            case kind, train, test, dev, reward
            case trainLimit = "train_limit"
            case syntheticTrainQuestions = "synthetic_train_questions"
            case syntheticTestQuestions = "synthetic_test_questions"
            case syntheticDevQuestions = "synthetic_dev_questions"
            case freshPoolPerIteration = "fresh_pool_per_iteration"
        }
    }

    /// Sampling of training completions (step 1 of an iteration).
    public struct Sampling: Sendable, Equatable, Encodable {
        /// N, completions per question (paper: 30).
        public var samplesPerQuestion: Int = 30
        /// Temperature of iteration t is `temperatures[min(t, count) - 1]` (paper GSM8K: 0.8, 0.8, 1.3).
        public var temperatures: [Double] = [0.8, 0.8, 1.3]
        /// top-p, max new tokens, stop strings, seed (temperature is set per iteration).
        public var generation = GenerateParameters(temperature: 0.8, topP: 1, maxNewTokens: 512)
        /// KV-cache slots of the local engine.
        public var batchSize: Int = 32
        public init() {}
        enum CodingKeys: String, CodingKey {
            case samplesPerQuestion = "samples_per_question"
            case temperatures, generation
            case batchSize = "batch_size"
        }
        /// The parameters of iteration `t` (1-based).
        public func parameters(iteration t: Int) -> GenerateParameters {
            var parameters = generation
            parameters.temperature = Float(temperatures[min(t, temperatures.count) - 1])
            parameters.seed = generation.seed &+ UInt64(t) &* 1_000_003
            return parameters
        }
    }

    /// Pair construction (step 3).
    public struct Pairs: Sendable, Equatable, Encodable {
        /// K, pairs per question (paper: 10 on GSM8K).
        public var pairsPerQuestion: Int = 10
        /// Add the gold solution to the winners (paper: GSM8K yes).
        public var goldAsWinner: Bool = true
        /// Keep at most this many pairs, a seeded random subset (paper: ~60k).
        public var maxPairs: Int = 60_000
        public init() {}
        enum CodingKeys: String, CodingKey {
            case pairsPerQuestion = "pairs_per_question"
            case goldAsWinner = "gold_as_winner"
            case maxPairs = "max_pairs"
        }
    }

    /// Training (step 4).
    public struct Training: Sendable, Equatable, Encodable {
        /// rpo (DPO + alpha NLL), dpo (alpha = 0), sft (NLL on the chosen: STaR / SFT on gold).
        public var loss: String = "rpo"
        /// alpha, the NLL weight (paper: 1).
        public var alpha: Double = 1
        /// beta of the DPO term (paper: 0.1).
        public var beta: Double = 0.1
        /// "sequence" (paper) or "token" (TRL's sft term).
        public var nllNormalization: String = NLLNormalization.perSequence.rawValue
        /// Peak learning rate (paper: 7e-7).
        public var learningRate: Double = 7e-7
        /// constant, linear or cosine.
        public var schedule: String = LearningRateSchedule.Kind.constant.rawValue
        public var warmupSteps: Int = 0
        /// Pairs per optimizer step (paper: 16).
        public var batchSize: Int = 16
        public var microBatchSize: Int = 4
        public var epochs: Int = 1
        /// At most this many optimizer steps per iteration (paper: 5000).
        public var maxSteps: Int = 5000
        public var maxGradNorm: Double = 1
        public var weightDecay: Double = 0
        /// Longest prompt + completion in tokens; longer pairs are dropped.
        public var maxLength: Int = 1024
        /// Checkpoint every this many steps (0: at the end); resume continues from the last one.
        public var checkpointEvery: Int = 0
        public init() {}
        enum CodingKeys: String, CodingKey {
            case loss, alpha, beta, schedule, epochs
            case nllNormalization = "nll_normalization"
            case learningRate = "learning_rate"
            case warmupSteps = "warmup_steps"
            case batchSize = "batch_size"
            case microBatchSize = "micro_batch_size"
            case maxSteps = "max_steps"
            case maxGradNorm = "max_grad_norm"
            case weightDecay = "weight_decay"
            case maxLength = "max_length"
            case checkpointEvery = "checkpoint_every"
        }
    }

    /// Evaluation (step 5).
    public struct Evaluation: Sendable, Equatable, Encodable {
        /// Evaluate greedy decoding.
        public var greedy: Bool = true
        /// k of majority vote (paper: 32); 0 disables it.
        public var majorityK: Int = 32
        /// Temperature of the majority-vote samples (paper: 0.8).
        public var majorityTemperature: Double = 0.8
        /// At most this many test (and dev) questions (nil: all).
        public var limit: Int?
        /// Max new tokens when evaluating.
        public var maxNewTokens: Int = 512
        /// Splits to evaluate: "test" and/or "dev".
        public var splits: [String] = ["test"]
        /// Evaluate the seed model M0 too (iter-0).
        public var evaluateSeedModel: Bool = true
        public init() {}
        enum CodingKeys: String, CodingKey {
            case greedy, limit, splits
            case majorityK = "majority_k"
            case majorityTemperature = "majority_temperature"
            case maxNewTokens = "max_new_tokens"
            case evaluateSeedModel = "evaluate_seed_model"
        }
    }

    /// Run name (the default run directory is runs/<name>).
    public var name: String = "irpo-run"
    /// M0: a Hugging Face model folder (config.json, model.safetensors, and a tokenizer).
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

    /// The paper's defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case name, task, sampling, pairs, training, iterations, evaluation, threads, seed
        case seedModel = "seed_model"
    }
}
