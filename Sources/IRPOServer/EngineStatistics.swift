/// Counters of the server's engine since it started.
public struct EngineStatistics: Sendable, Equatable {
    /// Engine rounds run (one `Generator.generate` call each).
    public var rounds = 0
    /// Requests served.
    public var requests = 0
    /// Samples generated.
    public var samples = 0
    /// Tokens generated.
    public var tokens = 0
    /// Most requests that shared one round.
    public var largestRound = 0
    /// Seconds the engine spent generating.
    public var busySeconds = 0.0

    /// All zero.
    public init() {}
}
