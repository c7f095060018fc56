import Foundation

extension RunConfig {
    /// Parses a YAML config (the same keys as JSON, every key optional) and validates it.
    /// - Parameter file: the name used in error messages; ".yaml" is appended when it has no YAML extension.
    /// - Throws: `PipelineError` naming the file, key and value at fault.
    public init(yaml text: String, file: String = "config.yaml") throws {
        try self.init(json: Data(text.utf8), file: ConfigReader.isYAML(file) ? file : file + ".yaml")
    }
}
