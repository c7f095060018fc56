import Foundation

/// A small, dependency-free SVG line chart for run reports (accuracy per iteration, loss and
/// log-probability curves over training steps).
public struct SVGLineChart: Sendable {
    /// One named series of (x, y) points.
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var dashed: Bool
        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
            self.name = name
            self.points = points
            self.dashed = dashed
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width: Double = 640
    public var height: Double = 360

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    /// The chart as a standalone SVG document.
    public func render() -> String {
        let left = 64.0, right = 160.0, top = 36.0, bottom = 48.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        var (minX, maxX) = (all.map(\.x).min() ?? 0, all.map(\.x).max() ?? 1)
        var (minY, maxY) = (all.map(\.y).min() ?? 0, all.map(\.y).max() ?? 1)
        if maxX == minX { minX -= 1; maxX += 1 }
        if maxY == minY { minY -= 1; maxY += 1 }
        let padY = (maxY - minY) * 0.05
        minY -= padY; maxY += padY
        func px(_ x: Double) -> Double { left + (x - minX) / (maxX - minX) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - minY) / (maxY - minY)) * plotHeight }

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(fmt(left + plotWidth / 2))" y="20" text-anchor="middle" font-size="14">\(escape(title))</text>

        """
        for i in 0...4 {
            let value = minY + (maxY - minY) * Double(i) / 4
            let y = py(value)
            svg += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(left + plotWidth))\" y2=\"\(fmt(y))\" stroke=\"#ddd\"/>\n"
            svg += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\">\(tick(value))</text>\n"
        }
        for i in 0...4 {
            let value = minX + (maxX - minX) * Double(i) / 4
            svg += "<text x=\"\(fmt(px(value)))\" y=\"\(fmt(top + plotHeight + 16))\" text-anchor=\"middle\">\(tick(value))</text>\n"
        }
        svg += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(plotWidth))\" height=\"\(fmt(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(height - 10))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(16 \(fmt(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (index, line) in series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            let points = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            let coordinates = points.map { "\(fmt(px($0.x))),\(fmt(py($0.y)))" }.joined(separator: " ")
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(coordinates)\"/>\n"
            if points.count <= 12 {
                for p in points {
                    svg += "<circle cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(p.y)))\" r=\"3\" fill=\"\(color)\"/>\n"
                }
            }
            let legendY = top + 8 + Double(index) * 18
            svg += "<line x1=\"\(fmt(left + plotWidth + 12))\" y1=\"\(fmt(legendY))\" x2=\"\(fmt(left + plotWidth + 32))\" y2=\"\(fmt(legendY))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            svg += "<text x=\"\(fmt(left + plotWidth + 38))\" y=\"\(fmt(legendY + 4))\">\(escape(line.name))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    private func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
    private func tick(_ value: Double) -> String {
        abs(value) >= 100 || value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }
    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
