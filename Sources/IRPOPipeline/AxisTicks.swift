import Foundation

/// Tick marks of one chart axis at "nice" values: a step of 1, 2 or 5 times a power of ten, and
/// an axis that starts and ends on a tick, so that the ticks cover the whole data range.
///
/// For example 50.39...70.41 gives 50, 55, ..., 75; whole numbers 0...3 give 0, 1, 2, 3; and
/// 0...77 gives 0, 20, 40, 60, 80.
public struct AxisTicks: Sendable, Equatable {
    /// The tick values, ascending; the first and the last are the ends of the axis.
    public let values: [Double]
    /// The distance between two neighbouring ticks.
    public let step: Double

    /// The lowest value on the axis (the first tick).
    public var lower: Double { values.first ?? 0 }
    /// The highest value on the axis (the last tick).
    public var upper: Double { values.last ?? 1 }

    /// Ticks covering `lower...upper` with about `targetCount` intervals.
    /// - Parameters:
    ///   - lower: the smallest data value.
    ///   - upper: the largest data value.
    ///   - targetCount: the number of intervals wanted; the result has between about half and
    ///     twice as many.
    ///   - integers: when true, the step is a whole number (at least 1), for axes whose values are
    ///     counts such as iterations or training steps.
    public init(lower: Double, upper: Double, targetCount: Int = 5, integers: Bool = false) {
        var low = lower.isFinite ? lower : 0
        var high = upper.isFinite ? upper : 1
        if low > high { swap(&low, &high) }
        if high == low {
            let spread = integers ? 1 : max(abs(low) * 0.1, 1)
            low -= spread
            high += spread
        }
        var step = Self.niceStep(for: (high - low) / Double(max(targetCount, 1)))
        if integers { step = max(step.rounded(), 1) }
        // The tolerance keeps an end that lies on a tick, up to rounding, from adding one more.
        let first = (low / step + 1e-9).rounded(.down)
        let last = (high / step - 1e-9).rounded(.up)
        // Multiples of the step from an integer index, so that no rounding error accumulates.
        self.values = stride(from: first, through: last, by: 1).map { Self.clean($0 * step, step: step) }
        self.step = step
    }

    /// The smallest of 1, 2, 5 or 10 times a power of ten that is at least `rough`.
    static func niceStep(for rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let residual = rough / magnitude
        // A small tolerance keeps exact multiples (a rough step of 2.0000000001) on their own step.
        let factor: Double = residual <= 1 + 1e-9 ? 1 : residual <= 2 + 1e-9 ? 2 : residual <= 5 + 1e-9 ? 5 : 10
        return factor * magnitude
    }

    /// Digits after the decimal point that show every tick exactly (0 for steps of 1 and above).
    public var decimals: Int {
        step >= 1 ? 0 : max(0, Int((-log10(step) - 1e-9).rounded(.up)))
    }

    /// A tick value as text with `decimals` digits ("-0" is written as "0").
    public func label(_ value: Double) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return Double(text) == 0 ? String(format: "%.\(decimals)f", 0.0) : text
    }

    /// `value` rounded to well below the step, removing binary noise such as 0.30000000000000004.
    private static func clean(_ value: Double, step: Double) -> Double {
        let scale = pow(10, max(0, (-log10(step) - 1e-9).rounded(.up) + 3))
        return (value * scale).rounded() / scale
    }
}
