import Foundation

/// A small, dependency-free SVG line chart for run reports (accuracy per iteration, loss and
/// log-probability curves over training steps).
public struct SVGLineChart: Sendable {
    /// One named series of (x, y) points.
    public struct Series: Sendable {
        /// The legend text.
        public var name: String
        /// The points, in drawing order; non-finite ones are skipped.
        public var points: [(x: Double, y: Double)]
        /// Draw the line dashed (e.g. the rejected completions next to the solid chosen ones).
        public var dashed: Bool
        /// Index into the palette; series with the same index share a colour (nil: the series'
        /// own position in the chart).
        public var colorIndex: Int?
        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false, colorIndex: Int? = nil) {
            self.name = name
            self.points = points
            self.dashed = dashed
            self.colorIndex = colorIndex
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// The width of the whole chart, legend included (it grows only when a long legend would
    /// leave the plot area narrower than 120 pixels).
    public var width: Double = 640
    /// The height of the whole chart.
    public var height: Double = 360

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    /// The chart as a standalone SVG document. Axes run from one "nice" tick to another
    /// (`AxisTicks`); the x ticks are whole numbers when every x value is; the legend sits to the
    /// right of the plot area, which is sized so that neither the legend nor the tick labels are
    /// cut off or drawn over the lines.
    public func render() -> String {
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let integerX = !all.isEmpty && all.allSatisfy { $0.x == $0.x.rounded() }
        let xTicks = AxisTicks(lower: all.map(\.x).min() ?? 0, upper: all.map(\.x).max() ?? 1, targetCount: 6, integers: integerX)
        let yTicks = AxisTicks(lower: all.map(\.y).min() ?? 0, upper: all.map(\.y).max() ?? 1, targetCount: 5)
        let yLabels: [String] = yTicks.values.map { yTicks.label($0) }
        let longestName: Int = series.map { $0.name.count }.max() ?? 0
        let longestLabel: Int = yLabels.map { $0.count }.max() ?? 1
        let left: Double = max(56, Self.textWidth(longestLabel) + 34)
        let right: Double = longestName > 0 ? Self.textWidth(longestName) + 56 : 24
        let top: Double = 36, bottom: Double = 52
        let plotWidth: Double = max(width - left - right, 120)
        let plotHeight: Double = height - top - bottom
        let totalWidth: Double = left + plotWidth + right
        let (minX, maxX) = (xTicks.lower, xTicks.upper)
        let (minY, maxY) = (yTicks.lower, yTicks.upper)
        func px(_ x: Double) -> Double { left + (x - minX) / (maxX - minX) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - minY) / (maxY - minY)) * plotHeight }

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(totalWidth))" height="\(Int(height))" \
        viewBox="0 0 \(Int(totalWidth)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(fmt(left + plotWidth / 2))" y="20" text-anchor="middle" font-size="14">\(escape(title))</text>

        """
        for (value, label) in zip(yTicks.values, yLabels) {
            let y = py(value)
            svg += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(left + plotWidth))\" y2=\"\(fmt(y))\" stroke=\"#ddd\"/>\n"
            svg += "<line x1=\"\(fmt(left - 4))\" y1=\"\(fmt(y))\" x2=\"\(fmt(left))\" y2=\"\(fmt(y))\" stroke=\"#333\"/>\n"
            svg += "<text x=\"\(fmt(left - 7))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\">\(label)</text>\n"
        }
        for value in xTicks.values {
            let x = px(value)
            svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(top + plotHeight))\" stroke=\"#eee\"/>\n"
            svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(top + plotHeight))\" x2=\"\(fmt(x))\" y2=\"\(fmt(top + plotHeight + 4))\" stroke=\"#333\"/>\n"
            svg += "<text x=\"\(fmt(x))\" y=\"\(fmt(top + plotHeight + 18))\" text-anchor=\"middle\">\(xTicks.label(value))</text>\n"
        }
        svg += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(plotWidth))\" height=\"\(fmt(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(height - 12))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(16 \(fmt(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (index, line) in series.enumerated() {
            let color = Self.palette[(line.colorIndex ?? index) % Self.palette.count]
            let points = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            let coordinates = points.map { "\(fmt(px($0.x))),\(fmt(py($0.y)))" }.joined(separator: " ")
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(coordinates)\"/>\n"
            if points.count <= 12 {
                for p in points {
                    svg += "<circle cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(p.y)))\" r=\"3\" fill=\"\(color)\"/>\n"
                }
            }
            let legendX: Double = left + plotWidth + 14
            let legendY: Double = top + 8 + Double(index) * 18
            svg += "<line x1=\"\(fmt(legendX))\" y1=\"\(fmt(legendY))\" x2=\"\(fmt(legendX + 22))\" y2=\"\(fmt(legendY))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            svg += "<text x=\"\(fmt(legendX + 28))\" y=\"\(fmt(legendY + 4))\">\(escape(line.name))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// A generous estimate of the width of `characters` characters of 12-pixel sans-serif text.
    static func textWidth(_ characters: Int) -> Double { Double(characters) * 7.2 }

    private func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
