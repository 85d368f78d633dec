/// Why a camt.053 file was refused. Each case names where in the file, when that is known.
public enum Camt053Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened.
    case unreadable(path: String)
    /// Not well-formed XML.
    case malformedXML(line: Int, message: String)
    /// The document ended before its root element was closed.
    case truncated(line: Int)
    /// The root is not a camt.053 `Document`.
    case notCamt053(rootElement: String, namespace: String)
    /// A camt.053 version this parser does not read (only .001.02 to .001.08 are).
    case unsupportedVersion(namespace: String)
    /// A required element is absent (`element` is its path inside `parent`).
    case missingElement(element: String, parent: String, line: Int)
    /// An amount that is not an exact decimal in its currency's minor digits.
    case invalidAmount(element: String, text: String, line: Int, reason: MoneyParseError)
    /// An `Amt` without a `Ccy` attribute, or with a code Qianzhuang does not book.
    case unknownCurrency(element: String, code: String, line: Int)
    case invalidDate(element: String, text: String, line: Int)
    /// A coded value outside its list (e.g. a `CdtDbtInd` other than CRDT/DBIT).
    case invalidCode(element: String, text: String, line: Int)
    /// The file declares a DTD (entities, DOCTYPE); bank files never need one.
    case dtdNotAllowed

    public var description: String {
        switch self {
        case .unreadable(let path):
            "cannot open camt.053 file \(path)"
        case .malformedXML(let line, let message):
            "line \(line): malformed XML: \(message)"
        case .truncated(let line):
            "line \(line): the document ends before </Document>"
        case .notCamt053(let root, let namespace):
            "not a camt.053 statement: root <\(root)> in namespace \"\(namespace)\""
        case .unsupportedVersion(let namespace):
            "unsupported camt.053 version \"\(namespace)\" (supported: camt.053.001.02 to camt.053.001.08)"
        case .missingElement(let element, let parent, let line):
            "line \(line): <\(parent)> has no <\(element)>"
        case .invalidAmount(let element, let text, let line, let reason):
            "line \(line): <\(element)> \"\(text)\" \(reason)"
        case .unknownCurrency(let element, let code, let line):
            code.isEmpty
                ? "line \(line): <\(element)> has no Ccy attribute"
                : "line \(line): <\(element)> has unknown currency \"\(code)\""
        case .invalidDate(let element, let text, let line):
            "line \(line): <\(element)> \"\(text)\" is not an ISO date or date-time"
        case .invalidCode(let element, let text, let line):
            "line \(line): <\(element)> \"\(text)\" is not an allowed code"
        case .dtdNotAllowed:
            "the file declares a DTD (<!DOCTYPE ...>); statement files with a DTD or entities are refused"
        }
    }
}
