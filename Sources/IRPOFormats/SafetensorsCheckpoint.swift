import Foundation

/// A Hugging Face model folder's weights: `model.safetensors`, or the shards listed in
/// `model.safetensors.index.json` (its `weight_map` from tensor name to shard file).
public struct SafetensorsCheckpoint: Sendable {
    /// The folder.
    public let directory: URL
    /// The opened files (one, or every shard named by the index).
    public let files: [SafetensorsFile]
    private let fileIndexByTensor: [String: Int]
    private let sortedNames: [String]

    /// Opens the checkpoint in `directory`; throws `FormatError` when neither file exists, the index is
    /// malformed, a listed shard is missing, or a tensor is not where the index says it is.
    public init(directory: URL) throws {
        self.directory = directory
        let manager = FileManager.default
        let single = directory.appendingPathComponent("model.safetensors")
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        if manager.fileExists(atPath: index.path) {
            let (files, map) = try Self.openShards(index: index, directory: directory)
            self.files = files
            self.fileIndexByTensor = map
        } else if manager.fileExists(atPath: single.path) {
            let file = try SafetensorsFile(contentsOf: single)
            self.files = [file]
            var map: [String: Int] = [:]
            for name in file.tensorNames { map[name] = 0 }
            self.fileIndexByTensor = map
        } else {
            throw FormatError(url: directory, "contains neither model.safetensors nor model.safetensors.index.json; pass a Hugging Face model folder")
        }
        self.sortedNames = fileIndexByTensor.keys.sorted()
    }

    private static func openShards(index: URL, directory: URL) throws -> ([SafetensorsFile], [String: Int]) {
        let data: Data
        do { data = try Data(contentsOf: index) } catch {
            throw FormatError(url: index, "cannot be read (\(error.localizedDescription)); check its permissions")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let weightMap = object["weight_map"] as? [String: Any] else {
            throw FormatError(url: index, "is not a JSON object with a 'weight_map' object; re-export the checkpoint index")
        }
        var shardNames: [String] = []
        var shardByTensor: [String: String] = [:]
        for (tensor, value) in weightMap {
            guard let shard = value as? String, !shard.isEmpty, !shard.contains("/"), shard != "..", shard != "." else {
                throw FormatError(url: index, "weight_map entry for '\(tensor)' is not a shard file name in this folder; fix the index")
            }
            shardByTensor[tensor] = shard
        }
        shardNames = Array(Set(shardByTensor.values)).sorted()
        var files: [SafetensorsFile] = []
        var position: [String: Int] = [:]
        for shard in shardNames {
            let url = directory.appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw FormatError(url: index, "lists shard '\(shard)' which is missing from \(directory.path); download or copy the missing shard")
            }
            position[shard] = files.count
            files.append(try SafetensorsFile(contentsOf: url))
        }
        var map: [String: Int] = [:]
        for (tensor, shard) in shardByTensor {
            guard let fileIndex = position[shard] else { continue }
            guard files[fileIndex].info(tensor) != nil else {
                throw FormatError(url: index, "says tensor '\(tensor)' is in '\(shard)' but that shard has no such tensor; re-export the checkpoint")
            }
            map[tensor] = fileIndex
        }
        return (files, map)
    }

    /// All tensor names, sorted.
    public var tensorNames: [String] { sortedNames }

    /// Header entry for `name`, or nil when no file holds it.
    public func info(_ name: String) -> SafetensorsTensorInfo? {
        guard let index = fileIndexByTensor[name] else { return nil }
        return files[index].info(name)
    }

    /// The file holding `name`, or nil.
    public func file(containing name: String) -> SafetensorsFile? {
        fileIndexByTensor[name].map { files[$0] }
    }

    /// The values of a floating-point tensor converted to `Float`.
    public func floats(_ name: String) throws -> [Float] {
        try requireFile(name).floats(name)
    }

    /// Converts a floating-point tensor into `destination`, whose count must equal the element count.
    public func readFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        try requireFile(name).readFloats(name, into: destination)
    }

    /// The values of an integer tensor as `Int`.
    public func integers(_ name: String) throws -> [Int] {
        try requireFile(name).integers(name)
    }

    private func requireFile(_ name: String) throws -> SafetensorsFile {
        guard let file = file(containing: name) else {
            throw FormatError(url: directory, "checkpoint has no tensor named '\(name)' (it has \(sortedNames.count) tensors); check the tensor name or the model type")
        }
        return file
    }
}
