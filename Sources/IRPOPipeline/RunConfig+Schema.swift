import Foundation
import IRPOBackends
import IRPOLoading
import IRPOTasks
import IRPOTraining

// Every key of a run config, spelled once: the schema below reads a config file, checks it,
// writes `config.json` and `irpo run --print-config`, and makes the tables of
// docs/configuration.md (`irpo run --print-keys`).

extension RunConfig {

    /// The whole run config file.
    static var schema: ConfigSchema<RunConfig> {
        ConfigSchema(keys: [
            .string("name", \.name, "run name; the run directory defaults to `runs/<name>` (no `/`)").checked { config, path in
                guard !config.name.isEmpty, !config.name.contains("/") else {
                    throw configValueError(path, "\"\(config.name)\"", "a non-empty name without '/'")
                }
            },
            .string("seed_model", \.seedModel, type: "path", default: "(required)",
                    "M0: a Hugging Face model folder (`config.json`, `model.safetensors`, tokenizer files), a `.gguf` file (tokenizer and chat template from its metadata), or a folder holding one; see [formats.md](formats.md)")
                .checked { config, path in try config.checkSeedModel(path: path) },
            .int("iterations", \.iterations, 1...PipelineLimits.maxIterations, "T, the number of RPO iterations"),
            .custom("seed", type: "integer >= 0", default: nil,
                    "seed of everything random: question pools, subsampling, data order, sampling",
                    read: { reader, config in
                        let seed = try reader.int("seed", default: 0)
                        guard seed >= 0 else { throw configValueError(reader.keyPath("seed"), seed, "an integer >= 0") }
                        config.seed = UInt64(seed)
                    },
                    write: { .number(Double($0.seed)) }),
            .optionalInt("threads", \.threads, 1...PipelineLimits.maxThreads, note: " (or null for all cores)", default: "all cores",
                         "worker threads of the engine"),
            .section("task", \.task, Task.schema),
            .section("sampling", \.sampling, Sampling.schema),
            .section("pairs", \.pairs, Pairs.schema),
            .section("training", \.training, Training.schema),
            .section("evaluation", \.evaluation, Evaluation.schema),
            .section("trainer", \.trainer, TrainerSettings.schema),
            .section("output", \.output, OutputSettings.schema),
            .section("baselines", \.baselines, BaselineSettings.schema),
        ], rules: { config, _ in try config.checkAcrossSections() })
    }

    /// The docs tables of every key, with the paper's defaults (docs/configuration.md holds them).
    public static var keyTables: [ConfigKeyTable] { schema.tables(of: RunConfig(), path: "") }

    /// The config as YAML, every key in documentation order (unset optional keys as null); read
    /// back by `RunConfig(yaml:)` it gives the same config.
    /// - Throws: `PipelineError` if the YAML emitter fails.
    public func resolvedYAML() throws -> String {
        do { return try Self.schema.yaml(of: self).text() } catch {
            throw PipelineError("cannot write the config as YAML (\(error))")
        }
    }
}

extension RunConfig.Task {
    static var schema: ConfigSchema<Self> {
        ConfigSchema(keys: [
            .string("kind", \.kind, default: nil,
                    "`gsm8k`, `arc`, `math`, `jsonl` (fields `question`/`answer`, numeric answers) or `synthetic-arithmetic` (generated, no files)")
                .checked { task, path in
                    do { _ = try TaskKind(named: task.kind) } catch { throw PipelineError("config key `\(path)`: \(error)") }
                },
            .optionalString("train", \.train, type: "path", "training questions (JSONL); required unless the task is synthetic"),
            .optionalString("test", \.test, type: "path", "test questions; required unless the task is synthetic"),
            .optionalString("dev", \.dev, type: "path", "dev questions; needed only when `evaluation.splits` has `dev`"),
            .optionalString("reward", \.reward, default: "the task's",
                            "`gsm8k`, `numeric`, `numeric-strict`, `arc`, `math` or the synthetic task's reward")
                .checked { task, path in
                    guard let reward = task.reward else { return }
                    do { _ = try RewardRegistry.standard.reward(named: reward) } catch { throw PipelineError("config key `\(path)`: \(error)") }
                },
            .optionalInt("train_limit", \.trainLimit, 1...PipelineLimits.maxQuestions,
                         "use only the first N training questions (the same ones every iteration)"),
            .int("synthetic_train_questions", \.syntheticTrainQuestions, 1...PipelineLimits.maxQuestions,
                 "synthetic task: training questions drawn per iteration"),
            .int("synthetic_test_questions", \.syntheticTestQuestions, 1...PipelineLimits.maxQuestions, "synthetic task: test questions"),
            .int("synthetic_dev_questions", \.syntheticDevQuestions, 0...PipelineLimits.maxQuestions, "synthetic task: dev questions"),
            .bool("fresh_pool_per_iteration", \.freshPoolPerIteration,
                  "synthetic task: draw new training questions every iteration (false: one pool for all)"),
            .section("synthetic", \.synthetic, SyntheticTaskSettings.schema),
            .bool("chat", \.chat,
                  "wrap each prompt as a user message in the seed model's chat template (instruct models; read from `tokenizer_config.json` or `chat_template.jinja`); the rendered prompt is not given a second BOS. Not together with `sampling.backend.chat`"),
            .optionalString("prompt", \.prompt, default: "the task's",
                            "use another task's built-in prompt, e.g. `gsm8k`'s instruction for the synthetic questions")
                .checked { task, path in
                    guard let prompt = task.prompt else { return }
                    do { _ = try TaskKind(named: prompt) } catch { throw PipelineError("config key `\(path)`: \(error)") }
                },
        ], rules: { task, path in try task.checkFiles(path: path) })
    }

    /// A file task needs its training and test files (and the dev file when one is named).
    func checkFiles(path: String) throws {
        guard let kind = try? TaskKind(named: kind), kind != .syntheticArithmetic else { return }
        guard let train else { throw configValueError("\(path).train", "null", "the path of the training questions for task \(kind.rawValue)") }
        guard let test else { throw configValueError("\(path).test", "null", "the path of the test questions for task \(kind.rawValue)") }
        for (key, file) in [("train", train), ("test", test)] + (dev.map { [("dev", $0)] } ?? [])
        where !FileManager.default.fileExists(atPath: file) {
            throw configValueError("\(path).\(key)", "\"\(file)\"", "an existing file; the path does not exist")
        }
    }
}

extension RunConfig.Sampling {
    static var schema: ConfigSchema<Self> {
        ConfigSchema(keys: [
            .int("samples_per_question", \.samplesPerQuestion, 1...PipelineLimits.maxSamplesPerQuestion, "N, completions per training question"),
            .doubles("temperatures", \.temperatures, type: "number or list of numbers in 0...10",
                     "temperature of iteration t is `temperatures[min(t, count) - 1]`: the last one repeats")
                .checked { sampling, path in
                    guard !sampling.temperatures.isEmpty else { throw configValueError(path, "[]", "at least one temperature") }
                    guard sampling.temperatures.count <= PipelineLimits.maxIterations else {
                        throw configValueError(path, "a list of \(sampling.temperatures.count)", "at most \(PipelineLimits.maxIterations) temperatures")
                    }
                    for value in sampling.temperatures where !(value.isFinite && value >= 0 && value <= 10) {
                        throw configValueError(path, value, "temperatures in 0...10")
                    }
                },
            .float("top_p", \.generation.topP, ConfigNumberRule("a number in (0, 1]") { $0 > 0 && $0 <= 1 }, "nucleus sampling"),
            .int("top_k", \.generation.topK, 0...PipelineLimits.maxTopK, note: " (0 = off)", "top-k sampling (0: off)"),
            .float("min_p", \.generation.minP, .probability, "min-p sampling (0: off)"),
            .int("max_new_tokens", \.generation.maxNewTokens, 1...PipelineLimits.maxSequenceTokens, "longest completion"),
            .strings("stop", \.generation.stop, "stop strings"),
            .int("batch_size", \.batchSize, 1...PipelineLimits.maxSamplingBatchSize,
                 "KV-cache slots of the local engine (sequences decoded together)"),
            .choice("weights", \.weights,
                    "how the local engine decodes: `f32` (exact) or `q8_0` (the linear weights quantised to Q8_0 for decoding: "
                        + "about 3x faster for one sequence, and the samples and evaluations are those of the quantised model)"),
            .section("backend", \.backend, RunConfig.SamplingBackend.schema),
        ], rules: { sampling, path in
            do { try sampling.generation.validate() } catch { throw PipelineError("config section `\(path)`: \(error)") }
        })
    }
}

extension RunConfig.Pairs {
    static var schema: ConfigSchema<Self> {
        ConfigSchema(keys: [
            .int("pairs_per_question", \.pairsPerQuestion, 1...PipelineLimits.maxPairsPerQuestion,
                 "K, pairs per question, taken round-robin over winners and losers"),
            .bool("gold_as_winner", \.goldAsWinner, "add the dataset's gold solution to the winners"),
            .int("max_pairs", \.maxPairs, 1...PipelineLimits.maxPairs,
                 "keep at most this many pairs per iteration (a seeded random subset)"),
        ])
    }
}

/// Checks a per-iteration list (the `iteration_*` keys): absent, or 1 to `maxIterations` entries
/// that `accepts` takes; the error names the key, the value at fault and what is expected.
private func checkPerIteration<T>(_ values: [T]?, path: String, plural: String, expected: String,
                                  accepts: (T) -> Bool) throws {
    guard let values else { return }
    guard (1...PipelineLimits.maxIterations).contains(values.count) else {
        throw configValueError(path, "a list of \(values.count)", "1 to \(PipelineLimits.maxIterations) \(plural) (or null)")
    }
    for value in values where !accepts(value) { throw configValueError(path, value, expected) }
}

extension RunConfig.Training {
    static var schema: ConfigSchema<Self> {
        ConfigSchema(keys: [
            .choice("loss", \.loss, "`rpo`: DPO + alpha * NLL on the winner; `dpo`: no NLL term; `sft`: NLL on the winner only"),
            .double("alpha", \.alpha, .nonNegative, "weight of the NLL term"),
            .double("beta", \.beta, .positive, "temperature of the DPO term"),
            .choice("nll_normalization", \.nllNormalization,
                    "`sequence`: the paper's -log M(w\\|x) / \\|w\\| per pair; `token`: TRL's token-weighted mean over the micro-batch; `sum`: summed, not length-normalised (a variant)"),
            .double("learning_rate", \.trainer.learningRate, .learningRate, "peak AdamW learning rate"),
            .optionalDoubles("iteration_learning_rates", \.iterationLearningRates, type: "number or list in (0, 1)", default: "null",
                             "peak learning rate per iteration: iteration t uses entry min(t, count) (the last repeats); null: `learning_rate` in every iteration. The baselines (one iteration) use iteration 1's rate unless `baselines.*.learning_rate` is set")
                .checked { training, path in
                    try checkPerIteration(training.iterationLearningRates, path: path, plural: "learning rates",
                                          expected: "learning rates in (0, 1)", accepts: ConfigNumberRule.learningRate.accepts)
                },
            .choice("schedule", \.trainer.scheduleKind, "learning-rate decay after the warm-up"),
            .int("warmup_steps", \.trainer.warmupSteps, 0...PipelineLimits.maxSteps, "linear warm-up steps"),
            .int("batch_size", \.trainer.batchSize, 1...PipelineLimits.maxTrainingBatchSize, "pairs per optimizer step"),
            .int("micro_batch_size", \.trainer.microBatchSize, 1...PipelineLimits.maxTrainingBatchSize,
                 "pairs per forward/backward pass (gradients are accumulated up to `batch_size`)"),
            .int("epochs", \.trainer.epochs, 1...PipelineLimits.maxEpochs, "passes over each iteration's pairs"),
            .optionalInts("iteration_epochs", \.iterationEpochs, type: "integer or list of integers", default: "null",
                          "epochs per iteration: iteration t uses entry min(t, count) (the last repeats); null: `epochs` in every iteration. The baselines (one iteration) use iteration 1's epochs unless `baselines.*.epochs` is set")
                .checked { training, path in
                    try checkPerIteration(training.iterationEpochs, path: path, plural: "epoch counts",
                                          expected: "epoch counts in 1...\(PipelineLimits.maxEpochs)") { (1...PipelineLimits.maxEpochs).contains($0) }
                },
            .int("max_steps", \.maxSteps, 1...PipelineLimits.maxSteps, "at most this many optimizer steps per iteration"),
            .double("max_grad_norm", \.trainer.maxGradNorm, .nonNegative, "gradient clipping (0: off)"),
            .double("weight_decay", \.weightDecay, .nonNegative, "AdamW weight decay"),
            .int("max_length", \.trainer.maxLength, 8...PipelineLimits.maxSequenceTokens,
                 "longest prompt + completion in tokens (also capped by the model's context); longer pairs are dropped"),
            .int("checkpoint_every", \.trainer.checkpointEvery, 0...PipelineLimits.maxSteps, note: " (0 = off)",
                 "write a resumable checkpoint every this many steps (0: only at the end)"),
            .int("selection_questions", \.selectionQuestions, 0...PipelineLimits.maxQuestions, note: " (0: M_t is the last step)",
                 "held-out training questions on which checkpoints are scored by greedy accuracy; the best becomes M_t (0: M_t is the last step). Needs the built-in trainer"),
            .int("selection_every", \.selectionEvery, 1...PipelineLimits.maxSteps,
                 "steps between scored checkpoints (the last step is always scored)"),
            .bool("gradient_checkpointing", \.gradientCheckpointing,
                  "keep only each layer's input in a training pass and recompute the layer in the backward: the same gradients, a fraction of the activation memory, about a third more time a step"),
            .optionalSection("lora", \.lora, LoRASettings.schema, template: LoRASettings(), emptyIsAbsent: false),
        ])
    }
}

extension RunConfig.Evaluation {
    static var schema: ConfigSchema<Self> {
        ConfigSchema(keys: [
            .bool("greedy", \.greedy, "greedy accuracy"),
            .int("majority_k", \.majorityK, 0...PipelineLimits.maxSamplesPerQuestion, note: " (0 disables majority vote)",
                 "k of majority vote over sampled answers (0: off; costs k samples per question)"),
            .double("majority_temperature", \.majorityTemperature, .positive, "temperature of the majority-vote samples"),
            .optionalInt("limit", \.limit, 1...PipelineLimits.maxQuestions, "at most this many test (and dev) questions"),
            .optionalInt("majority_limit", \.majorityLimit, 1...PipelineLimits.maxQuestions,
                         "the majority vote covers only the first this many of those questions (greedy still covers all); for models whose k samples per question would take too long"),
            .optionalStrings("majority_splits", \.majoritySplits, type: "list of split names", default: "every split in `splits`",
                             "the splits the majority vote runs on; the others are decoded greedily only (e.g. `[test]`: tune on greedy dev accuracy, report maj@k on test)"),
            .int("max_new_tokens", \.maxNewTokens, 1...PipelineLimits.maxSequenceTokens, "longest answer"),
            .strings("splits", \.splits, type: "list of split names", "`test` and/or `dev`").checked { evaluation, path in
                for split in evaluation.splits where !["test", "dev"].contains(split) {
                    throw configValueError(path, "\"\(split)\"", "\"test\" and/or \"dev\"")
                }
            },
            .bool("evaluate_seed_model", \.evaluateSeedModel, "evaluate M0 too (as `iter-0`)"),
        ], rules: { evaluation, path in
            guard evaluation.greedy || evaluation.majorityK > 0 else {
                throw configValueError("\(path).greedy", false, "true when majority_k is 0 (nothing to evaluate)")
            }
            for split in evaluation.majoritySplits ?? [] where !evaluation.splits.contains(split) {
                throw configValueError("\(path).majority_splits", "\"\(split)\"",
                                       "splits listed in `\(path).splits` (\(evaluation.splits.joined(separator: ", ")))")
            }
        })
    }
}

extension RunConfig.SamplingBackend {
    static var schema: ConfigSchema<Self> {
        ConfigSchema(keys: [
            .choice("type", \.type, "`local`: the built-in engine; `openai`: an OpenAI-compatible server"),
            .optionalString("base_url", \.baseURL, type: "URL",
                            "server root, e.g. `http://127.0.0.1:8000` (a trailing `/v1` is accepted); required for `openai`"),
            .optionalString("model", \.model, "served model name sent with every request; required for `openai`"),
            .optionalString("api_key_env", \.apiKeyEnv, default: "none",
                            "the NAME of the environment variable that holds the API key (never the key)"),
            .int("max_concurrency", \.maxConcurrency, 1...BackendLimits.maxConcurrency, "requests in flight at once"),
            .double("timeout_seconds", \.timeoutSeconds, .positiveAtMost(BackendLimits.maxTimeoutSeconds),
                    "time one attempt may take before it is retried"),
            .int("max_retries", \.maxRetries, 0...BackendLimits.maxRetries,
                 "retries per question on connection errors, timeouts, 429 (honouring Retry-After) and 5xx, with exponential backoff and jitter"),
            .bool("chat", \.chat, "send the prompt to `/v1/chat/completions` as a user message (else `/v1/completions`)"),
            .choice("seed_mode", \.seedMode,
                    "`per_prompt`: a seed derived from `seed` and the question, reproducible on any server that honours `seed`; `irpo`: send `seed` and `irpo_prompt_id`, so `irpo serve` returns exactly the local engine's samples"),
        ])
    }
}

extension RunConfig.TrainerSettings {
    static var schema: ConfigSchema<Self> {
        ConfigSchema(keys: [
            .choice("type", \.type, "`builtin`, or `external`: a command of your choice (e.g. TRL on GPUs)"),
            .strings("command", \.command,
                     "the external command as an argv list (no shell), with `{placeholders}`; see [scale-out.md](scale-out.md)"),
            .custom("env", type: "map of strings", default: "{}",
                    "extra environment variables of the command (stored in the run's `config.json`: no secrets; export them instead)",
                    read: { reader, trainer in
                        let env = try reader.section("env")
                        for key in env.object.keys.sorted() {
                            guard case let .string(value)? = env.object[key] else {
                                throw configValueError(env.keyPath(key), env.object[key].map(\.description) ?? "null", "a string")
                            }
                            trainer.env[key] = value
                        }
                    },
                    write: { .object($0.env.mapValues { .string($0) }) }),
            .optionalSection("server_reload", \.serverReload, ServerReload.schema, template: ServerReload(),
                             emptyIsAbsent: true, flatten: true),
        ])
    }
}

extension RunConfig.TrainerSettings.ServerReload {
    static var schema: ConfigSchema<Self> {
        ConfigSchema(keys: [
            .strings("command", \.command,
                     "run after every training stage so that the sampling server serves the new model; `{model}` and `{iteration}` are substituted; may be empty (only wait)"),
            .optionalString("ready_url", \.readyURL, type: "URL", default: "`base_url` + `/v1/models`", "polled until it answers 2xx"),
            .double("timeout_seconds", \.timeoutSeconds, .positiveAtMost(BackendLimits.maxTimeoutSeconds),
                    "how long to wait for the server"),
        ])
    }
}
