import Foundation

/// Looks at an XML document's prolog (what precedes the root element). Bank files have no
/// business declaring a DTD: libxml2 behind Foundation's XMLParser silently drops entities it
/// does not resolve, so a field would go missing without an error. Such a file is refused.
public enum XMLProlog {
    /// How much of a file is read to find its root element.
    public static let scanLimit = 64 * 1024

    /// True when `bytes` (the start of a document) declares a DOCTYPE before its root element, or
    /// when the prolog is longer than the bytes given (refusing is the safe answer then).
    public static func declaresDTD(_ bytes: some Collection<UInt8>) -> Bool {
        let b = Array(bytes.prefix(scanLimit))
        var i = 0
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        func starts(_ text: String, at index: Int) -> Bool {
            let t = Array(text.utf8)
            return index + t.count <= b.count && Array(b[index..<(index + t.count)]) == t
        }
        func skip(past terminator: String, from index: Int) -> Int? {
            let t = Array(terminator.utf8)
            var j = index
            while j + t.count <= b.count {
                if Array(b[j..<(j + t.count)]) == t { return j + t.count }
                j += 1
            }
            return nil
        }
        while i < b.count {
            switch b[i] {
            case 0x20, 0x09, 0x0A, 0x0D:
                i += 1
            case UInt8(ascii: "<"):
                if starts("<?", at: i) {
                    guard let next = skip(past: "?>", from: i + 2) else { return true }
                    i = next
                } else if starts("<!--", at: i) {
                    guard let next = skip(past: "-->", from: i + 4) else { return true }
                    i = next
                } else if starts("<!", at: i) {
                    // <!DOCTYPE (in any case) or any other markup declaration before the root.
                    return true
                } else {
                    return false
                }
            default:
                // Text before the root: not well-formed; the parser reports it.
                return false
            }
        }
        // The prolog did not end within the bytes given.
        return !b.isEmpty
    }

    /// Reads the start of the file at `url` and checks it (nil when it cannot be read).
    public static func fileDeclaresDTD(_ url: URL) -> Bool? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: scanLimit) else { return nil }
        return declaresDTD(data)
    }
}
