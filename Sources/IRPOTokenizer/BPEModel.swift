import Foundation

/// The `BPE` model of tokenizer.json: words become symbols (characters, or bytes for byte-level
/// vocabularies), then the adjacent pair with the lowest merge rank is merged until none is left; among
/// equal ranks the leftmost pair goes first (the same order as HF's priority queue).
final class BPEModel: Sendable {
    /// Token string -> id.
    let vocabulary: [String: Int]
    /// Id -> token string (nil for ids the vocabulary does not use).
    let tokens: [String?]
    let merges: MergeTable
    let unknownID: Int32?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let continuingSubwordPrefix: String
    let endOfWordSuffix: String
    /// Whether words arrive as raw bytes to be read in GPT-2's byte-level alphabet.
    let byteLevel: Bool

    /// Byte-level: the id of the one-character token for each byte, or -1.
    private let byteSymbols: [Int32]
    /// Not byte-level: the id of each one-scalar token.
    private let scalarSymbols: [UInt32: Int32]
    /// The id of `<0xNN>` for each byte, or -1.
    private let fallbackBytes: [Int32]
    /// For `ignore_merges`: a whole word's input bytes -> id.
    private let wholeWords: [[UInt8]: Int32]
    private let cache = WordCache()

    init(_ json: JSONReader, byteLevel: Bool) throws {
        self.byteLevel = byteLevel
        if let dropout = try json.optional("dropout"), let value = dropout.value as? Double, value > 0 {
            throw dropout.error("BPE dropout \(value) makes encoding random; set it to null")
        }
        let vocabJSON = try json.required("vocab")
        var vocabulary: [String: Int] = [:]
        if let native = vocabJSON.value as? [String: Int] {
            vocabulary = native  // built in memory (GGUF path): no per-entry casts
        } else {
            guard let rawVocabulary = vocabJSON.value as? [String: Any] else { throw vocabJSON.error("expected an object") }
            vocabulary.reserveCapacity(rawVocabulary.count)
            for (token, value) in rawVocabulary {
                guard let id = value as? Int else {
                    throw vocabJSON.error("token \(token.debugDescription) has id \(value), expected a non-negative integer")
                }
                vocabulary[token] = id
            }
        }
        var maxID = -1
        for (token, id) in vocabulary {
            guard id >= 0, id < Int(Int32.max) else {
                throw vocabJSON.error("token \(token.debugDescription) has id \(id), expected a non-negative integer")
            }
            // Checked before the id-indexed table is allocated.
            guard TokenizerLimits.isAcceptable(id, entries: vocabulary.count) else {
                throw vocabJSON.error("token \(token.debugDescription) has id \(id), but the vocabulary has \(vocabulary.count) tokens; ids must be below \(min(TokenizerLimits.maxTokenID + 1, vocabulary.count + TokenizerLimits.maxIDGap)) (the file is damaged)")
            }
            maxID = max(maxID, id)
        }
        var tokens = [String?](repeating: nil, count: maxID + 1)
        for (token, id) in vocabulary {
            if let existing = tokens[id] {
                throw vocabJSON.error("id \(id) is used by both \(existing.debugDescription) and \(token.debugDescription)")
            }
            tokens[id] = token
        }
        self.vocabulary = vocabulary
        self.tokens = tokens

        if let unknown = try json.optionalString("unk_token") {
            guard let id = vocabulary[unknown] else {
                throw json.error("unk_token \(unknown.debugDescription) is not in the vocabulary")
            }
            unknownID = Int32(id)
        } else {
            unknownID = nil
        }
        fuseUnknown = try json.bool("fuse_unk", default: false)
        byteFallback = try json.bool("byte_fallback", default: false)
        ignoreMerges = try json.bool("ignore_merges", default: false)
        continuingSubwordPrefix = try json.optionalString("continuing_subword_prefix") ?? ""
        endOfWordSuffix = try json.optionalString("end_of_word_suffix") ?? ""

        // Merges: ["a b", ...] (before tokenizers 0.20) or [["a", "b"], ...].
        let mergesJSON: [JSONReader]
        let mergesValue = try json.required("merges")
        if let native = mergesValue.value as? [[String]] {
            mergesJSON = native.enumerated().map { JSONReader(value: $0.element, file: json.file, path: "merges[\($0.offset)]") }
        } else {
            mergesJSON = try mergesValue.array()
        }
        var merges = MergeTable(capacity: mergesJSON.count)
        let prefixLength = continuingSubwordPrefix.count
        for (rank, entry) in mergesJSON.enumerated() {
            let left: String, right: String
            if let pair = entry.value as? [String], pair.count == 2 {
                left = pair[0]; right = pair[1]
            } else if let line = entry.value as? String {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw entry.error("merge \(line.debugDescription) is not two tokens separated by one space")
                }
                left = String(parts[0]); right = String(parts[1])
            } else {
                let pair = try entry.array()
                guard pair.count == 2 else { throw entry.error("a merge must be a pair of tokens") }
                left = try pair[0].string(); right = try pair[1].string()
            }
            guard let leftID = vocabulary[left] else {
                throw entry.error("merge names token \(left.debugDescription), which is not in the vocabulary; "
                    + "the merges do not belong to this vocab")
            }
            guard let rightID = vocabulary[right] else {
                throw entry.error("merge names token \(right.debugDescription), which is not in the vocabulary; "
                    + "the merges do not belong to this vocab")
            }
            let merged = left + String(right.dropFirst(prefixLength))
            guard let mergedID = vocabulary[merged] else {
                throw entry.error("merge \(left.debugDescription) + \(right.debugDescription) gives "
                    + "\(merged.debugDescription), which is not in the vocabulary")
            }
            merges.insert(left: Int32(leftID), right: Int32(rightID), rank: Int32(rank), merged: Int32(mergedID))
        }
        self.merges = merges

        var byteSymbols = [Int32](repeating: -1, count: 256)
        var fallbackBytes = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            if let id = vocabulary[String(Character(ByteLevelAlphabet.scalarForByte[byte]))] { byteSymbols[byte] = Int32(id) }
            if let id = vocabulary[String(format: "<0x%02X>", byte)] { fallbackBytes[byte] = Int32(id) }
        }
        var scalarSymbols: [UInt32: Int32] = [:]
        var wholeWords: [[UInt8]: Int32] = [:]
        for (token, id) in vocabulary {
            let scalars = token.unicodeScalars
            if scalars.count == 1, let scalar = scalars.first { scalarSymbols[scalar.value] = Int32(id) }
            if ignoreMerges {
                if byteLevel {
                    if let bytes = ByteLevelAlphabet.decode(token) { wholeWords[bytes] = Int32(id) }
                } else {
                    wholeWords[Array(token.utf8)] = Int32(id)
                }
            }
        }
        self.byteSymbols = byteSymbols
        self.fallbackBytes = fallbackBytes
        self.scalarSymbols = scalarSymbols
        self.wholeWords = wholeWords
    }

    /// Appends the ids of one pre-tokenized word (raw bytes for byte-level vocabularies, else UTF-8).
    func tokenize(_ word: [UInt8], into ids: inout [Int]) {
        guard !word.isEmpty else { return }
        if ignoreMerges, let id = wholeWords[word] {
            ids.append(Int(id))
            return
        }
        if let cached = cache.lookup(word) {
            for id in cached { ids.append(Int(id)) }
            return
        }
        var symbols = initialSymbols(word)
        mergeAll(&symbols)
        cache.store(word, symbols)
        for id in symbols { ids.append(Int(id)) }
    }

    /// The characters of a word as token ids: byte fallback for characters outside the vocabulary,
    /// then the unknown token (fused when `fuse_unk`), else dropped (as HF does).
    private func initialSymbols(_ word: [UInt8]) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        var pendingUnknown: Int32?
        let plain = continuingSubwordPrefix.isEmpty && endOfWordSuffix.isEmpty
        var index = 0
        while index < word.count {
            let length: Int
            if byteLevel {
                length = 1
            } else {
                let lead = word[index]
                length = min(lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4, word.count - index)
            }
            let isFirst = index == 0, isLast = index + length == word.count
            var id: Int32 = -1
            var characterBytes: [UInt8] = []
            if plain {
                if byteLevel {
                    id = byteSymbols[Int(word[index])]
                } else {
                    var value: UInt32 = length == 1 ? UInt32(word[index])
                        : UInt32(word[index] & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07))
                    for k in 1..<max(length, 1) { value = value << 6 | UInt32(word[index + k] & 0x3F) }
                    id = scalarSymbols[value] ?? -1
                }
            }
            if id < 0 {
                var character = byteLevel ? ByteLevelAlphabet.encode(word[index..<(index + 1)])
                    : String(decoding: word[index..<(index + length)], as: UTF8.self)
                if !isFirst { character = continuingSubwordPrefix + character }
                if isLast { character += endOfWordSuffix }
                if let found = vocabulary[character] { id = Int32(found) }
                characterBytes = Array(character.utf8)
            }
            index += length
            if id >= 0 {
                if let unknown = pendingUnknown { symbols.append(unknown); pendingUnknown = nil }
                symbols.append(id)
                continue
            }
            if byteFallback {
                let fallback = characterBytes.map { fallbackBytes[Int($0)] }
                if !fallback.contains(-1) {
                    symbols += fallback
                    continue
                }
            }
            if let unknownID {
                if let pending = pendingUnknown, !fuseUnknown { symbols.append(pending) }
                pendingUnknown = unknownID
            }
        }
        if let unknown = pendingUnknown { symbols.append(unknown) }
        return symbols
    }

    /// Merges the lowest-ranked adjacent pair (leftmost among equals) until no pair has a merge.
    private func mergeAll(_ symbols: inout [Int32]) {
        guard symbols.count > 1 else { return }
        if symbols.count > 48 {
            mergeAllLong(&symbols)
            return
        }
        var packed = [UInt64](repeating: .max, count: symbols.count - 1)
        for position in 0..<(symbols.count - 1) {
            packed[position] = merges.lookup(symbols[position], symbols[position + 1]) ?? .max
        }
        while true {
            var best = UInt64.max
            var bestPosition = -1
            for position in 0..<packed.count where packed[position] < best {
                best = packed[position]
                bestPosition = position
            }
            guard bestPosition >= 0 else { return }
            symbols[bestPosition] = Int32(bitPattern: UInt32(truncatingIfNeeded: best))
            symbols.remove(at: bestPosition + 1)
            packed.remove(at: bestPosition)
            if bestPosition > 0 {
                packed[bestPosition - 1] = merges.lookup(symbols[bestPosition - 1], symbols[bestPosition]) ?? .max
            }
            if bestPosition < packed.count {
                packed[bestPosition] = merges.lookup(symbols[bestPosition], symbols[bestPosition + 1]) ?? .max
            }
        }
    }

    /// The same merge order for long words, with a binary heap over a linked list of symbols.
    private func mergeAllLong(_ symbols: inout [Int32]) {
        let count = symbols.count
        var next = Array(1...count)  // count means none
        var previous = Array(-1..<(count - 1))
        var alive = [Bool](repeating: true, count: count)
        var heap = MergeHeap()
        for position in 0..<(count - 1) {
            if let packed = merges.lookup(symbols[position], symbols[position + 1]) {
                heap.push(packed: packed, position: position)
            }
        }
        while let (packed, position) = heap.pop() {
            guard alive[position], next[position] < count else { continue }
            let right = next[position]
            guard merges.lookup(symbols[position], symbols[right]) == packed else { continue }
            symbols[position] = Int32(bitPattern: UInt32(truncatingIfNeeded: packed))
            alive[right] = false
            next[position] = next[right]
            if next[right] < count { previous[next[right]] = position }
            if previous[position] >= 0, let merged = merges.lookup(symbols[previous[position]], symbols[position]) {
                heap.push(packed: merged, position: previous[position])
            }
            if next[position] < count, let merged = merges.lookup(symbols[position], symbols[next[position]]) {
                heap.push(packed: merged, position: position)
            }
        }
        var result: [Int32] = []
        result.reserveCapacity(count)
        for position in 0..<count where alive[position] { result.append(symbols[position]) }
        symbols = result
    }
}

/// A min-heap of (packed rank/id, position), ordered by rank then position.
struct MergeHeap {
    private var items: [(rank: UInt64, position: Int, packed: UInt64)] = []

    mutating func push(packed: UInt64, position: Int) {
        items.append((packed >> 32, position, packed))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (UInt64, Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count, Self.less(items[left], items[smallest]) { smallest = left }
                if right < items.count, Self.less(items[right], items[smallest]) { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return (top.packed, top.position)
    }

    private static func less(_ a: (rank: UInt64, position: Int, packed: UInt64),
                             _ b: (rank: UInt64, position: Int, packed: UInt64)) -> Bool {
        a.rank != b.rank ? a.rank < b.rank : a.position < b.position
    }
}

/// A bounded, thread-safe cache from a word's bytes to its ids.
/// Unchecked Sendable: the cache is read and written only while holding `lock`.
final class WordCache: @unchecked Sendable {
    private var storage: [[UInt8]: [Int32]] = [:]
    private let lock = NSLock()
    private let capacity = 50_000

    func lookup(_ word: [UInt8]) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return storage[word]
    }

    func store(_ word: [UInt8], _ ids: [Int32]) {
        guard word.count < 256 else { return }
        lock.lock()
        defer { lock.unlock() }
        if storage.count >= capacity { storage.removeAll(keepingCapacity: true) }
        storage[word] = ids
    }
}
