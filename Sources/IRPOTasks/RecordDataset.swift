/// A dataset format whose items are built one JSON record at a time (GSM8K, ARC, MATH, generic
/// JSONL): conforming types only say how a record becomes a `TaskItem`; reading files (JSONL, a
/// JSON array or object, or a directory of JSON files), limits and default ids are shared.
public protocol RecordDataset: Sendable {
    /// Builds one item from a record; `defaultID` is used when the record carries no id.
    /// - Throws: `TaskError` naming the record's location and the field at fault.
    func item(from record: JSONRecord, defaultID: String) throws -> TaskItem
}

extension RecordDataset {
    /// Loads the items at `path` (JSONL, JSON, or a directory of JSON files), streaming, at most
    /// `limit` of them; records without an id get `<file stem>-<index>`.
    /// - Throws: `TaskError` naming the file and line of a malformed record or a record the format
    ///   rejects; `TaskError.emptyDataset` when there are no records.
    public func load(path: String, limit: Int? = nil) throws -> [TaskItem] {
        let stem = DatasetLoading.stem(of: path)
        return try DatasetLoading.load(path: path, limit: limit) { record, index in
            try item(from: record, defaultID: "\(stem)-\(index)")
        }
    }
}
