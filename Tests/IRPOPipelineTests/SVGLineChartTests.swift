import XCTest
@testable import IRPOPipeline

final class SVGLineChartTests: XCTestCase {
    func testRendersOnePolylinePerSeriesWithEscapedLabels() {
        let chart = SVGLineChart(
            title: "Accuracy <greedy & maj@k>", xLabel: "iteration", yLabel: "accuracy (%)",
            series: [
                .init(name: "greedy", points: [(0, 30), (1, 40), (2, 45)]),
                .init(name: "maj@8", points: [(0, 35), (1, 48), (2, .nan)], dashed: true),
            ])
        let svg = chart.render()
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2)
        XCTAssertTrue(svg.contains("Accuracy &lt;greedy &amp; maj@k&gt;"))
        XCTAssertFalse(svg.contains("nan"), "non-finite points are dropped, never written")
        XCTAssertTrue(svg.contains("stroke-dasharray"))
    }
}
