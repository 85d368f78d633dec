import Foundation

/// Splits a SQL script into statements at top-level semicolons, respecting quotes, comments and
/// dollar-quoted bodies. PostgresNIO speaks the extended protocol only, one statement per query.
enum SQLScript {
    static func statements(_ sql: String) -> [String] {
        let chars = Array(sql.unicodeScalars)
        var out: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0
        func peek(_ offset: Int) -> Unicode.Scalar? { i + offset < chars.count ? chars[i + offset] : nil }
        while i < chars.count {
            let c = chars[i]
            if c == "-" && peek(1) == "-" {
                while i < chars.count && chars[i] != "\n" { i += 1 }
                continue
            }
            if c == "/" && peek(1) == "*" {
                i += 2
                while i < chars.count && !(chars[i] == "*" && peek(1) == "/") { i += 1 }
                i += 2
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c)
                i += 1
                while i < chars.count {
                    current.append(chars[i])
                    if chars[i] == c {
                        if peek(1) == c { i += 1; current.append(chars[i]) } else { break }
                    }
                    i += 1
                }
                i += 1
                continue
            }
            if c == "$" {
                // $tag$ … $tag$ (tag may be empty)
                var j = i + 1
                while j < chars.count && (chars[j].properties.isAlphabetic || chars[j] == "_" || ("0"..."9").contains(chars[j])) { j += 1 }
                if j < chars.count && chars[j] == "$" {
                    let tag = Array(chars[i...j])
                    current.append(contentsOf: tag)
                    i = j + 1
                    while i < chars.count {
                        if chars[i] == "$" && i + tag.count <= chars.count && Array(chars[i..<(i + tag.count)]) == tag {
                            current.append(contentsOf: tag)
                            i += tag.count
                            break
                        }
                        current.append(chars[i])
                        i += 1
                    }
                    continue
                }
            }
            if c == ";" {
                let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
                if !text.isEmpty { out.append(text) }
                current = String.UnicodeScalarView()
                i += 1
                continue
            }
            current.append(c)
            i += 1
        }
        let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.isEmpty { out.append(text) }
        return out
    }
}
