import Foundation
@testable import HTTPAPI
import PropertyBased
import Testing

/// The checkout's merchant id check is written byte by byte; it must accept exactly what the
/// documented pattern accepts, anchored at both ends of the whole text. (The regular expression it
/// replaced ended in `$`, which also matches before a final newline: "m\n" was a valid merchant id.)
@Suite struct MerchantIDTests {
    static let pattern = #"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\z"#

    func byPattern(_ s: String) -> Bool { s.range(of: Self.pattern, options: .regularExpression) != nil }
    func byCheck(_ s: String) -> Bool { (try? CreditRoutes.merchantID(s)) != nil }

    @Test func acceptsExactlyWhatThePatternAccepts() throws {
        let fixed = ["m-1", "M", "a.b_c-d", "", "-m", "_m", ".m", "m m", "m/1", "商户", "é", String(repeating: "a", count: 64),
                     String(repeating: "a", count: 65), "m\n", "m\u{0}", "1", "Z9"]
        for s in fixed { #expect(byCheck(s) == byPattern(s), "\(s.debugDescription)") }
        var rng = Xoshiro(seed: (11, 0x9E37_79B9_7F4A_7C15, 13, 0x2545_F491_4F6C_DD1D))
        let pool = Array("aZ09_.-/ é中\n".unicodeScalars)
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...70, using: &rng)
            var scalars = String.UnicodeScalarView()
            for _ in 0..<length { scalars.append(pool[Int.random(in: 0..<pool.count, using: &rng)]) }
            let s = String(scalars)
            #expect(byCheck(s) == byPattern(s), "\(s.debugDescription)")
        }
        #expect(try CreditRoutes.merchantID("Shop-A.1") == "shop-a.1")
        #expect(!byCheck("m\n"))
    }
}
