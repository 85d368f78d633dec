/// Splitting a total into parts that always sum to the total exactly.
extension Money {
    /// Splits into `count` equal parts; the remainder minor units go to the **last** part,
    /// so every part but the last is the same (the convention for installment principal).
    public func splitEvenly(into count: Int) -> [Money] {
        precondition(count > 0, "split into at least one part")
        let n = Int64(count)
        let base = minorUnits / n  // truncates toward zero, so the remainder has the total's sign
        let remainder = minorUnits - base * n
        var parts = Array(repeating: Money(minorUnits: base, currency: currency), count: count)
        parts[count - 1] = Money(minorUnits: base + remainder, currency: currency)
        return parts
    }

    /// Splits in proportion to non-negative integer `weights` by the largest-remainder method;
    /// ties go to the earlier part. The parts sum to the total exactly.
    public func allocate(byWeights weights: [Int64]) -> [Money] {
        precondition(!weights.isEmpty && weights.allSatisfy { $0 >= 0 }, "weights must be non-negative")
        let totalWeight = weights.reduce(0, +)
        guard totalWeight > 0 else {
            return splitEvenly(into: weights.count)
        }
        let total = minorUnits
        var shares: [Int64] = []
        var remainders: [(index: Int, remainder: Int64)] = []
        for (index, weight) in weights.enumerated() {
            // total × weight / totalWeight without overflow: use the full-width product.
            let product = total.multipliedFullWidth(by: weight)
            let (quotient, remainder) = totalWeight.dividingFullWidth(product)
            shares.append(quotient)
            remainders.append((index, remainder.magnitude > 0 ? Int64(remainder.magnitude) : 0))
        }
        var left = total - shares.reduce(0, +)
        let step: Int64 = left >= 0 ? 1 : -1
        let order = remainders.sorted { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }
        var i = 0
        while left != 0 {
            shares[order[i % order.count].index] += step
            left -= step
            i += 1
        }
        return shares.map { Money(minorUnits: $0, currency: currency) }
    }
}
