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

final class AxisTicksTests: XCTestCase {
    func testAccuracyRangeGetsStepsOfFive() {
        let ticks = AxisTicks(lower: 50.39, upper: 70.41, targetCount: 5)
        XCTAssertEqual(ticks.step, 5)
        XCTAssertEqual(ticks.values, [50, 55, 60, 65, 70, 75])
        XCTAssertEqual(ticks.values.map(ticks.label), ["50", "55", "60", "65", "70", "75"])
    }

    func testWholeIterationsGetWholeTicks() {
        let ticks = AxisTicks(lower: 0, upper: 3, targetCount: 6, integers: true)
        XCTAssertEqual(ticks.values, [0, 1, 2, 3])
        XCTAssertEqual(ticks.values.map(ticks.label), ["0", "1", "2", "3"])
        XCTAssertEqual(AxisTicks(lower: 0, upper: 1, targetCount: 6, integers: true).values, [0, 1])
    }

    func testTrainingStepsGetStepsOfTwenty() {
        let ticks = AxisTicks(lower: 0, upper: 77, targetCount: 5, integers: true)
        XCTAssertEqual(ticks.values, [0, 20, 40, 60, 80])
        XCTAssertEqual(AxisTicks(lower: 1, upper: 54, targetCount: 6, integers: true).values, [0, 10, 20, 30, 40, 50, 60])
    }

    func testTicksCoverTheDataAndAreMultiplesOfOneTwoOrFive() {
        let ranges: [(Double, Double)] = [(-17.49, -0.65), (0.0022, 0.6715), (-196, -12.6), (0.61, 0.63), (1e-7, 3e-7), (-3, 1234)]
        for (low, high) in ranges {
            let ticks = AxisTicks(lower: low, upper: high)
            XCTAssertLessThanOrEqual(ticks.lower, low, "\(low)...\(high)")
            XCTAssertGreaterThanOrEqual(ticks.upper, high, "\(low)...\(high)")
            XCTAssertTrue((3...12).contains(ticks.values.count), "\(low)...\(high): \(ticks.values)")
            let mantissa = ticks.step / pow(10, log10(ticks.step).rounded(.down))
            XCTAssertTrue([1, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "step \(ticks.step)")
            let labels = ticks.values.map(ticks.label)
            XCTAssertEqual(Set(labels).count, labels.count, "labels tell ticks apart: \(labels)")
        }
    }

    func testLabelsShowTheStepsDigitsWithoutNoise() {
        let ticks = AxisTicks(lower: 0.1, upper: 0.7, targetCount: 6)
        XCTAssertEqual(ticks.step, 0.1, accuracy: 1e-12)
        XCTAssertEqual(ticks.values.map(ticks.label), ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"])
        let negative = AxisTicks(lower: -0.4, upper: 0.4, targetCount: 4)
        XCTAssertEqual(negative.values.map(negative.label), ["-0.4", "-0.2", "0.0", "0.2", "0.4"])
    }

    func testEqualEndsStillGiveAnAxis() {
        let ticks = AxisTicks(lower: 42, upper: 42)
        XCTAssertLessThan(ticks.lower, 42)
        XCTAssertGreaterThan(ticks.upper, 42)
        XCTAssertEqual(AxisTicks(lower: 2, upper: 2, integers: true).values, [1, 2, 3])
    }
}

final class SVGLineChartAxesTests: XCTestCase {
    /// The tick labels of the chart, in document order.
    private func tickLabels(_ svg: String) -> [String] {
        svg.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("<text x="), !line.contains("font-size"), !line.contains("rotate"),
                  let start = line.firstIndex(of: ">"), let end = line.range(of: "</text>")?.lowerBound else { return nil }
            return String(line[line.index(after: start)..<end])
        }
    }

    func testAccuracyChartHasNiceYTicksAndWholeIterations() {
        let chart = SVGLineChart(
            title: "Accuracy per iteration", xLabel: "iteration", yLabel: "accuracy (%)",
            series: [
                .init(name: "dev greedy", points: [(0, 50.39), (1, 57.8), (2, 62.9), (3, 65.1)]),
                .init(name: "test greedy", points: [(0, 52.0), (1, 56.0), (2, 62.3), (3, 70.41)]),
            ])
        let labels = tickLabels(chart.render())
        XCTAssertTrue(labels.starts(with: ["50", "55", "60", "65", "70", "75", "0", "1", "2", "3"]), "\(labels)")
        XCTAssertFalse(labels.contains { $0.contains(".") }, "\(labels)")
    }

    func testStepChartHasWholeStepTicks() {
        let points = (1...77).map { (x: Double($0), y: -1.2 + Double($0) * 0.004) }
        let svg = SVGLineChart(title: "log-probs", xLabel: "step", yLabel: "nats", series: [.init(name: "chosen", points: points)]).render()
        let labels = tickLabels(svg)
        XCTAssertTrue(["0", "20", "40", "60", "80"].allSatisfy(labels.contains), "\(labels)")
        XCTAssertFalse(labels.contains("19.75"))
    }

    func testSeriesWithOneColorIndexShareTheirColour() {
        let svg = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: [
            .init(name: "iter 1 chosen", points: [(1, -1), (2, -0.9)], colorIndex: 0),
            .init(name: "iter 1 rejected", points: [(1, -5), (2, -7)], dashed: true, colorIndex: 0),
            .init(name: "iter 2 chosen", points: [(1, -1), (2, -0.8)], colorIndex: 1),
        ]).render()
        let strokes = svg.split(separator: "\n").filter { $0.hasPrefix("<polyline") }.map { line -> String in
            let start = line.range(of: "stroke=\"")!.upperBound
            return String(line[start...].prefix { $0 != "\"" })
        }
        XCTAssertEqual(strokes.count, 3)
        XCTAssertEqual(strokes[0], strokes[1])
        XCTAssertNotEqual(strokes[0], strokes[2])
    }

    func testLegendSitsRightOfThePlotAndFitsTheChart() throws {
        let name = "SFT on chosen (STaR) rejected"
        let svg = SVGLineChart(title: "t", xLabel: "x", yLabel: "y",
                               series: [.init(name: name, points: [(0, 1), (10, 2)])]).render()
        let frame = try XCTUnwrap(svg.split(separator: "\n").first { $0.hasPrefix("<rect x=") })
        func number(_ key: String, in line: Substring) -> Double? {
            guard let range = line.range(of: "\(key)=\"") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != "\"" })
        }
        let plotRight = try XCTUnwrap(number("x", in: frame)) + XCTUnwrap(number("width", in: frame))
        let legend = try XCTUnwrap(svg.split(separator: "\n").first { $0.contains(">\(name)<") })
        let legendX = try XCTUnwrap(number("x", in: legend))
        let chartWidth = try XCTUnwrap(number("width", in: try XCTUnwrap(svg.split(separator: "\n").first)))
        XCTAssertGreaterThan(legendX, plotRight)
        XCTAssertLessThanOrEqual(legendX + SVGLineChart.textWidth(name.count), chartWidth)
    }
}
