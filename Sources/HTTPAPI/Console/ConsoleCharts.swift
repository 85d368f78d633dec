import Foundation
import Jobs

/// Server-rendered SVG charts: horizontal bars, one row per label, each bar stacked from segments
/// (matched + exceptions, say). Geometry only: the numbers people read are in the table each chart
/// sits above, formatted as money or counts; no amount is computed from these widths.
enum ConsoleChart {
    struct Segment {
        let value: Decimal
        /// A class from console.css (`s1`, `s2`, …) giving the segment its colour.
        let style: String
    }

    struct Row {
        let label: String
        let segments: [Segment]
        /// What the row's total reads as (formatted by the caller: money, a count, a percentage).
        let caption: String
    }

    static let width = 760
    static let labelWidth = 200
    static let captionWidth = 170
    static let rowHeight = 22

    static func bars(title: String, rows: [Row], legend: [(label: String, style: String)] = []) -> String {
        guard !rows.isEmpty else { return "" }
        let maxTotal = rows.map { $0.segments.reduce(Decimal(0)) { $0 + max($1.value, 0) } }.max() ?? 0
        let plot = width - labelWidth - captionWidth
        let legendHeight = legend.isEmpty ? 0 : 22
        let height = rows.count * rowHeight + 8 + legendHeight
        var svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(escape(title))\"><title>\(escape(title))</title>"
        var lx = labelWidth
        for item in legend {
            svg += "<rect class=\"\(item.style)\" x=\"\(lx)\" y=\"4\" width=\"12\" height=\"12\"/><text class=\"legend\" x=\"\(lx + 16)\" y=\"14\">\(escape(item.label))</text>"
            lx += 24 + item.label.count * 7
        }
        for (i, row) in rows.enumerated() {
            let y = legendHeight + 4 + i * rowHeight
            svg += "<text class=\"label\" x=\"\(labelWidth - 8)\" y=\"\(y + 15)\" text-anchor=\"end\">\(escape(truncate(row.label, 28)))</text>"
            var x = Decimal(labelWidth)
            for segment in row.segments where segment.value > 0 && maxTotal > 0 {
                let w = segment.value / maxTotal * Decimal(plot)
                svg += "<rect class=\"\(segment.style)\" x=\"\(pixels(x))\" y=\"\(y + 3)\" width=\"\(pixels(max(w, 1)))\" height=\"\(rowHeight - 6)\"/>"
                x += w
            }
            svg += "<text class=\"value\" x=\"\(pixels(x))\" y=\"\(y + 15)\" dx=\"6\">\(escape(row.caption))</text>"
        }
        return svg + "</svg>"
    }

    static func pixels(_ d: Decimal) -> String {
        var v = d
        var rounded = Decimal()
        NSDecimalRound(&rounded, &v, 1, .plain)
        return "\(rounded)"
    }

    static func truncate(_ s: String, _ n: Int) -> String { s.count > n ? String(s.prefix(n - 1)) + "…" : s }

    static func escape(_ s: String) -> String { NightlyReport.escape(s) }
}
