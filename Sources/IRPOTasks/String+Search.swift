/// Plain substring search over UTF-8 (exact, case-sensitive). Foundation's `range(of:)` goes
/// through NSString on Linux and dominated the time of loading GSM8K; these do not.
extension StringProtocol {
    /// The range of the first occurrence of `needle` at or after `start`, or nil.
    func firstRangeOfSubstring(_ needle: String, from start: Index? = nil) -> Range<Index>? {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first else { return nil }
        let view = utf8
        var index = start ?? view.startIndex
        while index < view.endIndex {
            if view[index] == first {
                var candidate = view.index(after: index)
                var matched = 1
                while matched < pattern.count, candidate < view.endIndex, view[candidate] == pattern[matched] {
                    matched += 1
                    candidate = view.index(after: candidate)
                }
                if matched == pattern.count { return index..<candidate }
            }
            index = view.index(after: index)
        }
        return nil
    }

    /// The range of the last occurrence of `needle`, or nil.
    func lastRangeOfSubstring(_ needle: String) -> Range<Index>? {
        var found: Range<Index>?
        var start = utf8.startIndex
        while let range = firstRangeOfSubstring(needle, from: start) {
            found = range
            start = utf8.index(after: range.lowerBound)
        }
        return found
    }

    /// True when `needle` occurs in the text.
    func containsSubstring(_ needle: String) -> Bool {
        firstRangeOfSubstring(needle) != nil
    }
}
