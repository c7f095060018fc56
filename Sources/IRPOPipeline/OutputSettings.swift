import IRPOModel
import IRPOTasks

/// The `output` section of a run config: extra copies of every iteration's model.
///
/// ```yaml
/// output:
///   gguf: {types: [q8_0, q4_0]}
/// ```
/// writes `iter-t/model.q8_0.gguf` and `iter-t/model.q4_0.gguf` after iteration t is trained,
/// with the seed model's tokenizer and chat template, loadable by llama.cpp and Ollama.
public struct OutputSettings: Sendable, Equatable {
    /// `output.gguf`.
    public struct GGUF: Sendable, Equatable {
        /// GGUF tensor types to export, by name (`f32`, `f16`, `q8_0`, `q4_0`); empty: none.
        public var types: [String] = []
        public init(types: [String] = []) { self.types = types }
    }

    /// GGUF exports.
    public var gguf = GGUF()

    public init() {}

    /// The export policies of `gguf.types` (validated names, first occurrence of each).
    public var ggufPolicies: [GGUFExportPolicy] {
        var seen = Set<String>()
        return gguf.types.compactMap { GGUFExportPolicy(name: $0) }.filter { seen.insert($0.name).inserted }
    }

    /// The section's keys, in the order they are documented.
    static var schema: ConfigSchema<OutputSettings> {
        ConfigSchema(keys: [
            .section("gguf", \.gguf, ConfigSchema<GGUF>(keys: [
                .strings("types", \.types,
                         "after each iteration is trained, also write `iter-t/model.<type>.gguf` for each type: `f32`, `f16`, `q8_0`, `q4_0` (any case); with the seed's tokenizer, chat template and, for a GGUF seed, its other `general.*` metadata. `irpo run --export-gguf q8_0` adds types from the command line"),
            ]), flatten: true),
        ], rules: { settings, _ in try settings.validate() })
    }

    /// Checks every type name; errors name `output.gguf.types` and the accepted names.
    func validate() throws {
        let names = GGUFExportPolicy.supportedTargets.map { $0.name.lowercased() }
        guard gguf.types.count <= names.count * 4 else {
            throw PipelineError("config key `output.gguf.types` has \(gguf.types.count) entries, expected at most \(names.count) (one of each of \(names.joined(separator: ", ")))")
        }
        for name in gguf.types where GGUFExportPolicy(name: name) == nil {
            let hint = NameSuggestion.nearest(to: name.lowercased(), among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw PipelineError("config key `output.gguf.types` has value \"\(name)\", expected a list of \(names.joined(separator: ", "))\(hint)")
        }
    }
}
