import Foundation

/// Shared loop of the dataset loaders: read records, build items, check ids, stop at a limit.
enum DatasetLoading {
    private struct LimitReached: Error {}

    /// Builds one item per record at `path` with `makeItem(record, index)` (index is 0-based over
    /// records), up to `limit` items.
    /// - Throws: `TaskError.emptyDataset` when no record is found, `TaskError.invalidValue` on a
    ///   duplicate id, and whatever reading or `makeItem` throws.
    static func load(path: String, limit: Int?, makeItem: (JSONRecord, Int) throws -> TaskItem) throws -> [TaskItem] {
        if let limit, limit < 0 {
            throw TaskError.invalidConfiguration(key: "limit", value: "\(limit)", reason: "must be zero or positive (or absent for all items)")
        }
        if limit == 0 { return [] }
        var items: [TaskItem] = []
        var seen: [String: String] = [:]
        do {
            try JSONRecordSource.forEachRecord(at: path) { record in
                let item = try makeItem(record, items.count)
                if let previous = seen[item.id] {
                    throw TaskError.invalidValue(location: record.location, field: "id", value: item.id, reason: "duplicate id, first seen at \(previous)")
                }
                seen[item.id] = record.location
                items.append(item)
                // Stop before the next record is even parsed.
                if let limit, items.count >= limit { throw LimitReached() }
            }
        } catch is LimitReached {
            // Stopped early on purpose.
        }
        if items.isEmpty { throw TaskError.emptyDataset(path: path) }
        return items
    }

    /// "train" for ".../gsm8k/train.jsonl", used to build ids for datasets without an id field.
    static func stem(of path: String) -> String {
        let name = (path as NSString).lastPathComponent
        return (name as NSString).deletingPathExtension
    }
}
