import IRPOTensor

/// Row-wise helpers for the fused projections: q/k/v computed as one `[T, H*D + 2*Hkv*D]`
/// matrix and gate/up as one `[T, 2I]` matrix (gate in the first I columns of each row).
enum FusedRows {
    /// Copies column blocks of `source` [rows, sum(widths)] into separate dense buffers
    /// `destinations[i]` [rows, widths[i]].
    static func split(_ source: UnsafePointer<Float>, into destinations: [UnsafeMutablePointer<Float>], widths: [Int], rows: Int) {
        let total = widths.reduce(0, +)
        Parallel.forEachChunk(count: rows, minimumChunk: max(1, 8192 / max(1, total))) { range in
            for row in range {
                var column = 0
                for (index, width) in widths.enumerated() {
                    (destinations[index] + row * width).update(from: source + row * total + column, count: width)
                    column += width
                }
            }
        }
    }

    /// Copies dense buffers `sources[i]` [rows, widths[i]] side by side into `destination`
    /// [rows, sum(widths)].
    static func join(_ sources: [UnsafePointer<Float>], into destination: UnsafeMutablePointer<Float>, widths: [Int], rows: Int) {
        let total = widths.reduce(0, +)
        Parallel.forEachChunk(count: rows, minimumChunk: max(1, 8192 / max(1, total))) { range in
            for row in range {
                var column = 0
                for (index, width) in widths.enumerated() {
                    (destination + row * total + column).update(from: sources[index] + row * width, count: width)
                    column += width
                }
            }
        }
    }

    /// `output[t] = silu(gateUp[t, 0..<I]) * gateUp[t, I..<2I]` for every row.
    /// - Parameters: output [rows, I], gateUp [rows, 2I].
    static func swiGLUForward(output: UnsafeMutablePointer<Float>, gateUp: UnsafePointer<Float>, rows: Int, inner: Int) {
        Parallel.forEachChunk(count: rows, minimumChunk: max(1, 8192 / max(1, inner))) { range in
            for row in range {
                let gate = gateUp + row * 2 * inner
                SwiGLU.forward(output: output + row * inner, gate: gate, up: gate + inner, count: inner)
            }
        }
    }

    /// Backward of `swiGLUForward`: accumulates into `dGateUp` [rows, 2I] from `dOutput` [rows, I].
    static func swiGLUBackward(
        dGateUp: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>, gateUp: UnsafePointer<Float>, rows: Int, inner: Int
    ) {
        Parallel.forEachChunk(count: rows, minimumChunk: max(1, 8192 / max(1, inner))) { range in
            for row in range {
                let gate = gateUp + row * 2 * inner
                let dGate = dGateUp + row * 2 * inner
                SwiGLU.backward(dGate: dGate, dUp: dGate + inner, dOutput: dOutput + row * inner,
                                gate: gate, up: gate + inner, count: inner)
            }
        }
    }
}
