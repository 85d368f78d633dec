import Domain
import Foundation
@testable import HTTPAPI
import PropertyBased
import Testing

/// WireJSON and Timestamp replace Foundation on every response and event body; these hold them to
/// Foundation's bytes (debug builds also compare every body the API suite encodes).
@Suite struct WireJSONTests {
    struct Leaf: Encodable { let iban2Code: String; let e2eID: String; let URLValue: Int; let aBCd: Bool }
    enum Status: String, Encodable { case inFlight = "in_flight" }
    struct Tricky: Encodable {
        let amountDue = "1083.10"
        let a_b = 1, ab = 2, a10 = 3, a9 = 4, aZ = 5, _leading = 6, trailing_ = 7
        let limits: [Int64] = [.min, .max, 0]
        let nested: [Leaf] = [Leaf(iban2Code: "x", e2eID: "y", URLValue: 1, aBCd: true)]
        let byKey: [String: Int] = ["Upper": 1, "lowerCase": 2, "a_b": 3, "ab": 4]
        let missing: Int? = nil
        let explicitNull = Nullable<String>(nil)
        let present = Nullable<String>("there")
        let status = Status.inFlight
        let empty: [String] = []
        let emptyMap: [String: String] = [:]
        let text = "quote\" backslash\\ slash/ tab\t nl\n cr\r bs\u{8} ff\u{c} nul\u{0} us\u{1f} del\u{7f} 中文 é \u{2028} 😀"
    }

    struct Custom: Encodable {
        // Writes a key twice and uses nested containers and a super encoder.
        enum K: String, CodingKey { case first, inner, list, parentValue }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            try c.encode(1, forKey: .first)
            try c.encode(2, forKey: .first)
            var inner = c.nestedContainer(keyedBy: K.self, forKey: .inner)
            try inner.encodeNil(forKey: .parentValue)
            var list = c.nestedUnkeyedContainer(forKey: .list)
            try list.encode("a")
            var deeper = list.nestedContainer(keyedBy: K.self)
            try deeper.encode(true, forKey: .first)
            try list.encode(Int64(7))
            let sup = c.superEncoder(forKey: .parentValue)
            var single = sup.singleValueContainer()
            try single.encode("from super")
        }
    }

    struct WithDouble: Encodable { let ratio = 0.1; let name = "n" }
    struct WithDecimal: Encodable { let amount = Decimal(string: "12.50")! }
    struct Nothing: Encodable { func encode(to encoder: any Encoder) throws {} }

    func reference<T: Encodable>(_ value: T) throws -> String { String(decoding: try JSONBody.encoder.encode(value), as: UTF8.self) }
    func wire<T: Encodable>(_ value: T) throws -> String { String(decoding: try WireJSON.encode(value), as: UTF8.self) }

    @Test func sameBytesAsFoundationOnTrickyShapes() throws {
        #expect(try wire(Tricky()) == reference(Tricky()))
        #expect(try wire(Custom()) == reference(Custom()))
        #expect(throws: EncodingError.self) { try wire(Nothing()) }
        #expect(try wire([Nothing()]) == reference([Nothing()]))
        #expect(try wire(["top"]) == reference(["top"]))
        #expect(try wire("fragment") == reference("fragment"))
        // Values whose JSON form Foundation decides are handed to Foundation whole.
        #expect(try wire(WithDouble()) == reference(WithDouble()))
        #expect(try wire(WithDecimal()) == reference(WithDecimal()))
        // Keys are Foundation's own snake_case spelling.
        #expect(try wire(Tricky()).contains("\"u_rl_value\":1"))
        #expect(WireJSON.snakeCase("daysPastDue") == "days_past_due")
        #expect(WireJSON.snakeCase("e2eID") == "e2e_id")
    }

    struct Text: Encodable { let value: String; let map: [String: String] }

    @Test func anyStringIsEscapedAsFoundationEscapesIt() throws {
        var rng = Xoshiro(seed: (17, 0x9E37_79B9_7F4A_7C15, 23, 0x2545_F491_4F6C_DD1D))
        let pool: [ClosedRange<UInt32>] = [0x00...0x7F, 0x00...0x20, 0x80...0x7FF, 0x2000...0x206F, 0x4E00...0x9FFF, 0x1F600...0x1F64F]
        for _ in 0..<2_000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...24, using: &rng) {
                let range = pool[Int.random(in: 0..<pool.count, using: &rng)]
                if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &rng)) { scalars.append(scalar) }
            }
            let s = String(scalars)
            let value = Text(value: s, map: [s: s])
            #expect(try wire(value) == reference(value))
            #expect(JSONString.quoted(s) == (try reference([s])).dropFirst().dropLast().description)
        }
    }
}

@Suite struct TimestampTests {
    func foundation(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
            .replacingOccurrences(of: "+0000", with: "Z")
    }

    @Test func matchesFoundationFromYearOneToNineThousand() {
        // From 1583 it is computed; before, Foundation's Julian calendar writes it.
        var rng = Xoshiro(seed: (3, 0x9E37_79B9_7F4A_7C15, 5, 0x2545_F491_4F6C_DD1D))
        // 0001-01-01 to 9999-12-31, whole and fractional seconds.
        let low: Int64 = -62_135_596_800, high: Int64 = 253_402_300_799
        var instants: [Date] = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -0.5), Date(timeIntervalSince1970: 0.999_999),
                                Date(timeIntervalSince1970: 951_782_400), /* 2000-02-29 */ Date(timeIntervalSince1970: 1_798_761_599.999),
                                Date(timeIntervalSince1970: TimeInterval(low)), Date(timeIntervalSince1970: TimeInterval(high))]
        for _ in 0..<5_000 {
            let whole = Int64.random(in: low...high, using: &rng)
            let micros = Int64.random(in: 0..<1_000_000, using: &rng)
            instants.append(Date(timeIntervalSince1970: TimeInterval(whole) + TimeInterval(micros) / 1_000_000))
        }
        for date in instants {
            #expect(Timestamp.rfc3339(date) == foundation(date), "\(date.timeIntervalSince1970)")
        }
    }
}
