/// Upper bounds on the backend settings that come from configs, in one place (docs/limits.md
/// lists them). Times beyond these bounds would overflow when converted to nanoseconds.
public enum BackendLimits {
    /// Longest timeout of one request or of a server reload, in seconds (7 days).
    public static let maxTimeoutSeconds: Double = 7 * 24 * 3600
    /// Most requests in flight (`max_concurrency`).
    public static let maxConcurrency = 1024
    /// Most retries per prompt (`max_retries`).
    public static let maxRetries = 100
}
