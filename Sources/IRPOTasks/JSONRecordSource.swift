import Foundation

/// Reads dataset records from a JSONL file, a JSON file (one object or an array of objects), or a
/// directory of JSON files (the original MATH layout, `train/<subject>/<n>.json`).
///
/// The kind is chosen from the path: a directory is walked recursively (files ending in `.json`
/// or `.jsonl`, in sorted path order so the item order is reproducible); a file ending in
/// `.json` is parsed whole; anything else is streamed as JSONL.
public enum JSONRecordSource {
    /// Calls `body` with every record found at `path`, in a reproducible order.
    /// - Throws: `TaskError.unreadableFile`, `TaskError.malformedJSON` with the location, and
    ///   anything `body` throws.
    public static func forEachRecord(at path: String, _ body: (JSONRecord) throws -> Void) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TaskError.unreadableFile(path: path, reason: "no such file or directory")
        }
        if isDirectory.boolValue {
            for file in try dataFiles(under: path) {
                try forEachRecord(inFile: file, body)
            }
        } else {
            try forEachRecord(inFile: path, body)
        }
    }

    static func forEachRecord(inFile path: String, _ body: (JSONRecord) throws -> Void) throws {
        guard path.lowercased().hasSuffix(".json") else {
            try JSONLReader(path: path).forEachRecord(body)
            return
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TaskError.unreadableFile(path: path, reason: JSONLReader.reason(error))
        }
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw TaskError.malformedJSON(location: path, reason: JSONRecord.describe(error, bytes: data))
        }
        if let object = value as? [String: Any] {
            try body(JSONRecord(object: object, location: path))
        } else if let array = value as? [Any] {
            for (index, element) in array.enumerated() {
                let location = "\(path)[\(index)]"
                guard let object = element as? [String: Any] else {
                    throw TaskError.malformedJSON(location: location, reason: "expected a JSON object, found \(JSONRecord.kind(of: element))")
                }
                try body(JSONRecord(object: object, location: location))
            }
        } else {
            throw TaskError.malformedJSON(location: path, reason: "expected an object or an array of objects, found \(JSONRecord.kind(of: value))")
        }
    }

    static func dataFiles(under directory: String) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw TaskError.unreadableFile(path: directory, reason: "cannot list the directory")
        }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let lowered = relative.lowercased()
            guard lowered.hasSuffix(".json") || lowered.hasSuffix(".jsonl") else { continue }
            let full = (directory as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(full)
            }
        }
        return files.sorted()
    }
}
