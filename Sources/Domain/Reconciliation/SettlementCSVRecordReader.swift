/// A push-based RFC 4180 record splitter: feed it bytes in chunks of any size, get whole records.
///
/// Fields are separated by `,`, records by CRLF (a bare LF is accepted too). A field may be quoted
/// with `"`; inside quotes, `""` is a quote and commas and line breaks are data. A quote inside an
/// unquoted field, text after a closing quote, or a file ending inside quotes is an error. Blank
/// lines are skipped; a UTF-8 byte order mark at the very start is ignored. Line numbers are
/// physical lines (1-based); a record reports the line it starts on.
struct SettlementCSVRecordReader: Sendable {
    /// One CSV record and the physical line it starts on.
    struct Record: Sendable, Equatable {
        let line: Int
        let fields: [String]
    }

    /// A structural CSV error and where it happened.
    struct Failure: Error, Sendable, Equatable {
        let line: Int
        let problem: SettlementCSVError.Problem
    }

    private enum State: Sendable {
        case recordStart, fieldStart, unquoted, quoted, quoteInQuoted
    }

    private var state = State.recordStart
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var line = 1
    private var recordLine = 1
    /// The previous byte was a CR that ended a physical line; a following LF belongs to it.
    private var pendingCR = false
    private var bomBytesSeen = 0
    private var atFileStart = true

    /// Consumes `bytes`, calling `onRecord` for each record completed within them.
    mutating func consume(_ bytes: UnsafeRawBufferPointer, onRecord: (Record) -> Void) throws(Failure) {
        var index = bytes.startIndex
        if atFileStart {
            // Skip a UTF-8 byte order mark, even one split across chunks.
            while index < bytes.endIndex, bomBytesSeen < 3 {
                guard bytes[index] == Self.byteOrderMark[bomBytesSeen] else {
                    try replayPartialByteOrderMark(onRecord)
                    break
                }
                bomBytesSeen += 1
                index += 1
            }
            if bomBytesSeen == 3 { atFileStart = false }
            if atFileStart && index == bytes.endIndex { return }
        }
        try consumeBody(bytes, from: index, onRecord: onRecord)
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Bytes that looked like the start of a BOM but were not one are data after all.
    private mutating func replayPartialByteOrderMark(_ onRecord: (Record) -> Void) throws(Failure) {
        atFileStart = false
        let seen = Array(Self.byteOrderMark[0..<bomBytesSeen])
        bomBytesSeen = 3
        var failure: Failure?
        seen.withUnsafeBytes { bytes in
            do { try consumeBody(bytes, from: bytes.startIndex, onRecord: onRecord) } catch { failure = error as? Failure }
        }
        if let failure { throw failure }
    }

    private mutating func consumeBody(
        _ bytes: UnsafeRawBufferPointer, from start: Int, onRecord: (Record) -> Void
    ) throws(Failure) {
        let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var index = start
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            // The LF of a CRLF: the line was already counted at the CR.
            let completesCRLF = pendingCR && byte == lf
            pendingCR = false
            let isBreak = byte == lf || byte == cr
            switch state {
            case .recordStart:
                if completesCRLF { continue }
                if isBreak {
                    // A blank line: no record, just a line.
                    newLine(byte)
                    continue
                }
                recordLine = line
                try fieldStart(byte, isBreak: isBreak, onRecord: onRecord)
            case .fieldStart:
                try fieldStart(byte, isBreak: isBreak, onRecord: onRecord)
            case .unquoted:
                if byte == quote {
                    throw Failure(line: line, problem: .quoteInUnquotedField(field: fields.count + 1))
                } else if try !endsField(at: byte, isBreak: isBreak, onRecord: onRecord) {
                    field.append(byte)
                }
            case .quoted:
                if byte == quote {
                    state = .quoteInQuoted
                } else {
                    // Line breaks inside quotes are data, but still physical lines.
                    if isBreak && !completesCRLF { newLine(byte) }
                    field.append(byte)
                }
            case .quoteInQuoted:
                if byte == quote {
                    field.append(quote)
                    state = .quoted
                } else if try !endsField(at: byte, isBreak: isBreak, onRecord: onRecord) {
                    throw Failure(line: line, problem: .textAfterClosingQuote(field: fields.count + 1))
                }
            }
        }
    }

    /// Ends the input: completes a last record without a trailing line break.
    mutating func finish(onRecord: (Record) -> Void) throws(Failure) {
        if atFileStart && bomBytesSeen > 0 && bomBytesSeen < 3 { try replayPartialByteOrderMark(onRecord) }
        switch state {
        case .recordStart:
            return
        case .quoted:
            throw Failure(line: recordLine, problem: .unterminatedQuote(field: fields.count + 1))
        case .fieldStart, .unquoted, .quoteInQuoted:
            try endField()
            endRecord(onRecord)
        }
    }

    private mutating func fieldStart(_ byte: UInt8, isBreak: Bool, onRecord: (Record) -> Void) throws(Failure) {
        if byte == UInt8(ascii: "\"") {
            state = .quoted
        } else if try !endsField(at: byte, isBreak: isBreak, onRecord: onRecord) {
            field.append(byte)
            state = .unquoted
        }
    }

    /// Ends the field at a comma, and the record too at a line break; false for any other byte.
    private mutating func endsField(at byte: UInt8, isBreak: Bool, onRecord: (Record) -> Void) throws(Failure) -> Bool {
        if byte == UInt8(ascii: ",") {
            try endField()
            state = .fieldStart
        } else if isBreak {
            try endField()
            endRecord(onRecord)
            newLine(byte)
        } else {
            return false
        }
        return true
    }

    private mutating func newLine(_ byte: UInt8) {
        line += 1
        if byte == UInt8(ascii: "\r") { pendingCR = true }
    }

    private mutating func endField() throws(Failure) {
        guard let text = String(validating: field, as: UTF8.self) else {
            throw Failure(line: line, problem: .invalidUTF8(field: fields.count + 1))
        }
        fields.append(text)
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord(_ onRecord: (Record) -> Void) {
        let record = Record(line: recordLine, fields: fields)
        fields.removeAll(keepingCapacity: true)
        state = .recordStart
        onRecord(record)
    }
}
