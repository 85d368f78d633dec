import Foundation

/// Secrets made of system randomness, as lower-case hex (API keys, console session ids, CSRF tokens).
public enum RandomToken {
    public static func hex(bytes count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
    }
}
