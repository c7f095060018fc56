import Foundation

/// An exact rational number, `numerator / denominator`, both finite decimals.
///
/// Used to compare answers without floating-point error: `0.5 == 1/2`, `1234.00 == 1234`, but
/// `0.333 != 1/3`. Equality is by cross-multiplication in `Decimal` (38 significant digits);
/// a comparison that overflows is false.
public struct ExactNumber: Sendable, Equatable, CustomStringConvertible {
    /// The numerator (a finite decimal).
    public let numerator: Decimal
    /// The denominator (a finite, non-zero decimal).
    public let denominator: Decimal

    /// `numerator / denominator`; nil when the denominator is zero or either part is NaN.
    public init?(numerator: Decimal, denominator: Decimal = 1) {
        guard !numerator.isNaN, !denominator.isNaN, !denominator.isZero else { return nil }
        if denominator < 0 {
            self.numerator = -numerator
            self.denominator = -denominator
        } else {
            self.numerator = numerator
            self.denominator = denominator
        }
    }

    /// Parses a plain decimal literal without grouping ("-12", "0.50", ".5").
    public init?(decimalLiteral text: String) {
        var body = Substring(text)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        let digits = body.filter { $0 != "." }
        guard !digits.isEmpty, body.filter({ $0 == "." }).count <= 1,
              digits.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }),
              let value = Decimal(string: body.hasPrefix(".") ? "0" + body : String(body), locale: NumericAnswer.posix)
        else { return nil }
        if text.hasPrefix("-") {
            self.init(numerator: -value)
            return
        }
        self.init(numerator: value)
    }

    /// True when the number is an integer (exactly).
    public var isInteger: Bool {
        guard let quotient = exactQuotient else { return false }
        var value = quotient
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .plain)
        return rounded == quotient
    }

    /// The value divided by 100 (for percentages).
    public var hundredth: ExactNumber {
        ExactNumber(numerator: numerator, denominator: denominator * 100) ?? self
    }

    /// `numerator / denominator` when that division is exact in `Decimal`, else nil.
    var exactQuotient: Decimal? {
        if denominator == 1 { return numerator }
        let quotient = numerator / denominator
        return quotient * denominator == numerator ? quotient : nil
    }

    /// A canonical spelling: a plain decimal when the quotient is exact ("1234", "-0.5"),
    /// otherwise "numerator/denominator".
    public var description: String {
        if let quotient = exactQuotient { return "\(quotient)" }
        return "\(numerator)/\(denominator)"
    }

    /// Exact equality by cross-multiplication.
    public static func == (lhs: ExactNumber, rhs: ExactNumber) -> Bool {
        let left = lhs.numerator * rhs.denominator
        let right = rhs.numerator * lhs.denominator
        guard !left.isNaN, !right.isNaN else { return false }
        return left == right
    }
}
