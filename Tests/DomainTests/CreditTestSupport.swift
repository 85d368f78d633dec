import Foundation
import Domain

/// Shorthands for the credit tests (namespaced so they cannot clash with other suites' helpers).
enum CreditFixtures {
    static func cny(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: .cny) }

    static func date(_ text: String) -> BusinessDate {
        guard let date = BusinessDate(text) else { fatalError("bad test date \(text)") }
        return date
    }

    /// An exact decimal from its text (a Decimal float literal would go through Double).
    static func rate(_ text: String) -> Decimal {
        guard let value = Decimal(string: text) else { fatalError("bad test rate \(text)") }
        return value
    }

    static func open(
        _ number: Int, due: String, principal: Int64, fee: Int64 = 0, lateFee: Int64 = 0
    ) -> OpenInstallment {
        OpenInstallment(
            number: number, dueDate: date(due), principal: cny(principal), fee: cny(fee), lateFee: cny(lateFee)
        )
    }

    /// A product with one tenor, for focused schedule tests.
    static func product(tenor: Int, _ pricing: InstallmentPricing, rounding: RoundingRule = .halfEven) -> CreditProduct {
        CreditProduct(allowedTenors: [tenor], pricing: [tenor: pricing], rounding: rounding)
    }
}

/// SplitMix64: a small seeded generator so property-style loops are reproducible.
struct CreditSeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A rate with `scale` fraction digits in 0...maxUnits × 10^-scale.
    mutating func rate(maxUnits: Int, scale: Int) -> Decimal {
        Decimal(sign: .plus, exponent: -scale, significand: Decimal(Int.random(in: 0...maxUnits, using: &self)))
    }
}
