#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Single-precision matrix products through BLAS `sgemm` on row-major buffers.
///
/// Transposes are flags, never copies; leading dimensions let callers address strided
/// sub-matrices in place (for example one attention head inside a `[B, S, H, D]` buffer, whose
/// rows are `H * D` floats apart).
public enum GEMM {
    /// `C = alpha * op(A) * op(B) + beta * C` with row-major storage.
    ///
    /// - Parameters:
    ///   - transposeA: use `A^T`; `A` is stored `[k, m]` (else `[m, k]`), rows `lda` apart.
    ///   - transposeB: use `B^T`; `B` is stored `[n, k]` (else `[k, n]`), rows `ldb` apart.
    ///   - m: rows of `op(A)` and `C`.
    ///   - n: columns of `op(B)` and `C`.
    ///   - k: inner dimension.
    ///   - alpha: scale of the product.
    ///   - a: left operand.
    ///   - lda: distance in floats between rows of `A` as stored.
    ///   - b: right operand.
    ///   - ldb: distance in floats between rows of `B` as stored.
    ///   - beta: scale of the previous `C`; `0` overwrites (old contents ignored, even NaN),
    ///     `1` accumulates.
    ///   - c: output `[m, n]`, rows `ldc` apart.
    ///   - ldc: distance in floats between rows of `C`.
    @inlinable
    public static func multiply(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "GEMM sizes must be non-negative")
        precondition(lda >= max(1, transposeA ? m : k), "GEMM lda too small")
        precondition(ldb >= max(1, transposeB ? k : n), "GEMM ldb too small")
        precondition(ldc >= max(1, n), "GEMM ldc too small")
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS would only scale C; do it here so beta == 0 also clears NaNs.
            for row in 0..<m {
                let r = c + row * ldc
                for column in 0..<n { r[column] = beta == 0 ? 0 : beta * r[column] }
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc))
    }

    /// `C = alpha * op(A) * op(B) + beta * C` on densely packed row-major matrices
    /// (`lda`, `ldb`, `ldc` are the stored row lengths).
    @inlinable
    public static func multiply(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>,
        b: UnsafePointer<Float>,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>
    ) {
        multiply(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: max(1, transposeA ? m : k), b: b, ldb: max(1, transposeB ? k : n),
            beta: beta, c: c, ldc: max(1, n))
    }

    /// Number of threads BLAS uses for one product (OpenBLAS `openblas_set_num_threads`).
    /// On Apple platforms Accelerate manages its own threads: reads return 1, writes are ignored.
    public static var threadCount: Int {
        get {
            #if canImport(Accelerate)
            return 1
            #else
            return Int(openblas_get_num_threads())
            #endif
        }
        set {
            precondition(newValue >= 1, "GEMM.threadCount must be at least 1")
            #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(newValue))
            #endif
        }
    }

    /// Runs `body` with BLAS on `count` threads, then restores the count it found. The setting is
    /// process-wide: call it only where no other thread runs products meanwhile (outside shards).
    public static func withThreadCount<Result>(_ count: Int, _ body: () throws -> Result) rethrows -> Result {
        let saved = threadCount
        threadCount = count
        defer { threadCount = saved }
        return try body()
    }
}
