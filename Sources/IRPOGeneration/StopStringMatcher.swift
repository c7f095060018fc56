/// Finds stop strings in text that arrives piece by piece, including a stop string split across
/// pieces, and releases only text that cannot be the start of a stop string.
///
/// Matching is on UTF-8 bytes; because UTF-8 is self-synchronising, a match of a valid stop
/// string always starts and ends on character boundaries.
public struct StopStringMatcher: Sendable {
    private let stops: [[UInt8]]
    private var bytes: [UInt8] = []
    private var released = 0
    /// Whether a stop string has been found (the text ends just before it).
    public private(set) var stopped = false
    /// The stop string that was found.
    public private(set) var matchedStop: String?

    /// A matcher for `stops` (empty strings are ignored).
    public init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    /// All text received so far, cut before the first stop string.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Adds `piece` and returns the text that is now final: everything up to the first stop
    /// string if one appeared, else everything except a tail that could begin a stop string.
    public mutating func append(_ piece: String) -> String {
        guard !stopped else { return "" }
        let start = bytes.count
        bytes.append(contentsOf: piece.utf8)
        if let (position, stop) = firstMatch(searchingFrom: start) {
            bytes.removeSubrange(position...)
            stopped = true
            matchedStop = String(decoding: stop, as: UTF8.self)
            return release(upTo: bytes.count)
        }
        return release(upTo: bytes.count - heldBackCount())
    }

    /// Releases the held-back tail (call when generation ends for another reason).
    public mutating func finish() -> String {
        release(upTo: bytes.count)
    }

    private mutating func release(upTo end: Int) -> String {
        guard end > released else { return "" }
        let piece = String(decoding: bytes[released..<end], as: UTF8.self)
        released = end
        return piece
    }

    /// The earliest stop string occurrence that ends after `start` (new bytes).
    private func firstMatch(searchingFrom start: Int) -> (Int, [UInt8])? {
        var best: (Int, [UInt8])?
        for stop in stops where stop.count <= bytes.count {
            var position = max(0, start - stop.count + 1)
            let last = bytes.count - stop.count
            while position <= last {
                if let current = best, current.0 <= position { break }
                if bytes[position] == stop[0] && bytes[position..<(position + stop.count)].elementsEqual(stop) {
                    best = (position, stop)
                    break
                }
                position += 1
            }
        }
        return best
    }

    /// Length of the longest tail of the text that is a proper prefix of a stop string.
    private func heldBackCount() -> Int {
        var longest = 0
        for stop in stops {
            var k = min(stop.count - 1, bytes.count)
            while k > longest {
                if bytes[(bytes.count - k)...].elementsEqual(stop[0..<k]) {
                    longest = k
                    break
                }
                k -= 1
            }
        }
        return longest
    }
}
