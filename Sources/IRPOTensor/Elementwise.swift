/// Elementwise kernels for residual streams and biases, split across cores by a fixed partition.
/// Every element's result is independent of the partition, so outputs are bit-identical for any
/// thread count.
public enum Elementwise {
    /// Elements per worker below which a loop stays on one thread.
    @usableFromInline static let minimumChunk = 1 << 14

    /// `output[i] = a[i] + b[i]`. `output` may alias `a` or `b`.
    /// - Parameters: output [count], a [count], b [count].
    public static func add(
        output: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count: count, minimumChunk: minimumChunk) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                VectorMath.store(VectorMath.load(a + i) + VectorMath.load(b + i), output + i)
                i += 8
            }
            while i < range.upperBound { output[i] = a[i] + b[i]; i += 1 }
        }
    }

    /// `into[i] += from[i]`.
    /// - Parameters: into [count], from [count].
    public static func accumulate(into: UnsafeMutablePointer<Float>, from: UnsafePointer<Float>, count: Int) {
        add(output: into, a: UnsafePointer(into), b: from, count: count)
    }

    /// `into[i] += factor * from[i]` (a fused multiply-add per element).
    /// - Parameters: into [count], from [count].
    public static func accumulate(
        into: UnsafeMutablePointer<Float>, from: UnsafePointer<Float>, scaledBy factor: Float, count: Int
    ) {
        Parallel.forEachChunk(count: count, minimumChunk: minimumChunk) { range in
            let f = SIMD8<Float>(repeating: factor)
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                VectorMath.store(VectorMath.load(into + i).addingProduct(f, VectorMath.load(from + i)), into + i)
                i += 8
            }
            while i < range.upperBound { into[i] = into[i].addingProduct(factor, from[i]); i += 1 }
        }
    }

    /// `buffer[i] *= factor`.
    /// - Parameters: buffer [count].
    public static func scale(_ buffer: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
        Parallel.forEachChunk(count: count, minimumChunk: minimumChunk) { range in
            let f = SIMD8<Float>(repeating: factor)
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                VectorMath.store(VectorMath.load(buffer + i) * f, buffer + i)
                i += 8
            }
            while i < range.upperBound { buffer[i] *= factor; i += 1 }
        }
    }

    /// `buffer[i] = value`.
    /// - Parameters: buffer [count].
    public static func fill(_ buffer: UnsafeMutablePointer<Float>, with value: Float, count: Int) {
        Parallel.forEachChunk(count: count, minimumChunk: minimumChunk) { range in
            (buffer + range.lowerBound).update(repeating: value, count: range.count)
        }
    }

    /// `buffer[i] = 0`.
    /// - Parameters: buffer [count].
    public static func zero(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        fill(buffer, with: 0, count: count)
    }

    /// `output[i] = input[i]`.
    /// - Parameters: output [count], input [count] (must not overlap).
    public static func copy(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        Parallel.forEachChunk(count: count, minimumChunk: minimumChunk) { range in
            (output + range.lowerBound).update(from: input + range.lowerBound, count: range.count)
        }
    }

    /// Adds a bias row to every row: `buffer[r, c] += bias[c]`.
    /// - Parameters: buffer [rows, columns], bias [columns].
    public static func addBias(
        _ buffer: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, columns: Int
    ) {
        Parallel.forEachChunk(count: rows, minimumChunk: max(1, minimumChunk / max(1, columns))) { range in
            for row in range {
                let r = buffer + row * columns
                var c = 0
                while c + 8 <= columns {
                    VectorMath.store(VectorMath.load(r + c) + VectorMath.load(bias + c), r + c)
                    c += 8
                }
                while c < columns { r[c] += bias[c]; c += 1 }
            }
        }
    }

    /// Backward of `addBias`: `dBias[c] += sum over rows of dOutput[r, c]`, summed in row order
    /// (independent of the thread count).
    /// - Parameters: dBias [columns] (accumulated), dOutput [rows, columns].
    public static func accumulateBiasGradient(
        dBias: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>, rows: Int, columns: Int
    ) {
        let groups = (columns + 7) / 8
        Parallel.forEachChunk(count: groups, minimumChunk: 8) { groupRange in
            for group in groupRange {
                let c = group * 8
                let width = Swift.min(8, columns - c)
                var acc = width == 8 ? VectorMath.load(dBias + c) : VectorMath.load(dBias + c, count: width)
                for row in 0..<rows {
                    let p = dOutput + row * columns + c
                    acc += width == 8 ? VectorMath.load(p) : VectorMath.load(p, count: width)
                }
                if width == 8 { VectorMath.store(acc, dBias + c) } else { VectorMath.store(acc, dBias + c, count: width) }
            }
        }
    }
}
