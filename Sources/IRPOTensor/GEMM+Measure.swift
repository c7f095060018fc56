import Foundation

extension GEMM {
    /// sgemm GFLOP/s on `[m x k] x [k x n]` (default: the LM shape [4096x576]x[576x1536]), the
    /// median of `repeats` timed products after one warm-up, with the current BLAS threads.
    public static func measureGFLOPs(m: Int = 4096, k: Int = 576, n: Int = 1536, repeats: Int = 7) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var generator = SeededGenerator(seed: 1)
        generator.fillUniform(a, count: m * k, low: -1, high: 1)
        generator.fillUniform(b, count: k * n, low: -1, high: 1)
        c.initialize(repeating: 0, count: m * n)
        var times: [Double] = []
        for repeat_ in 0...max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            multiply(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, b: b, c: c)
            if repeat_ > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
        }
        times.sort()
        return 2 * Double(m) * Double(n) * Double(k) / max(times[times.count / 2], 1e-9) / 1e9
    }

    /// One log line naming the BLAS kernels in use and their measured sgemm speed (about 0.3 s),
    /// and irpo's own decode kernels.
    public static func kernelReport() -> String {
        String(format: "blas: %@; sgemm %.0f GFLOP/s on %d thread(s) ([4096x576]x[576x1536]); %@",
               BLASKernelSelection.summary, measureGFLOPs(repeats: 3), threadCount, VectorKernels.summary)
    }
}
