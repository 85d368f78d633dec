/// Whether an IP address is one a webhook must not reach without the operator's say-so: loopback,
/// link-local, private, carrier-grade NAT, unspecified, multicast or reserved ranges, in IPv4 and
/// IPv6 (including IPv4-mapped IPv6 addresses). Pure parsing of the textual forms.
public enum NetworkAddress {
    public static func isPrivateOrLocal(_ text: String) -> Bool {
        if let v4 = ipv4(text) { return isPrivate(v4) }
        if let v6 = ipv6(text) { return isPrivate(v6) }
        return true   // not an address we can classify: refuse
    }

    /// Whether `text` is an IPv4 or IPv6 address (not a host name).
    public static func isAddress(_ text: String) -> Bool { ipv4(text) != nil || ipv6(text) != nil }

    static func isPrivate(_ a: [UInt8]) -> Bool {
        switch (a[0], a[1]) {
        case (0, _), (10, _), (127, _): return true
        case (100, 64...127): return true            // carrier-grade NAT
        case (169, 254): return true                 // link-local
        case (172, 16...31): return true
        case (192, 168): return true
        case (192, 0) where a[2] == 0 || a[2] == 2: return true   // IETF protocol assignments, TEST-NET-1
        case (198, 18...19): return true             // benchmarking
        case (198, 51) where a[2] == 100, (203, 0) where a[2] == 113: return true   // TEST-NET-2/3
        case (224...255, _): return true             // multicast, reserved, broadcast
        default: return false
        }
    }

    static func isPrivate(_ a: [UInt16]) -> Bool {
        if a.allSatisfy({ $0 == 0 }) || (a[0..<7].allSatisfy { $0 == 0 } && a[7] == 1) { return true }   // :: and ::1
        if a[0..<5].allSatisfy({ $0 == 0 }) && a[5] == 0xFFFF {                                          // ::ffff:a.b.c.d
            return isPrivate([UInt8(a[6] >> 8), UInt8(a[6] & 0xFF), UInt8(a[7] >> 8), UInt8(a[7] & 0xFF)])
        }
        if a[0] & 0xFE00 == 0xFC00 { return true }   // unique local fc00::/7
        if a[0] & 0xFFC0 == 0xFE80 { return true }   // link-local fe80::/10
        if a[0] & 0xFF00 == 0xFF00 { return true }   // multicast
        if a[0] == 0x2001 && a[1] == 0x0DB8 { return true }   // documentation
        if a[0] == 0x0064 && a[1] == 0xFF9B { return true }   // NAT64 may reach IPv4 private ranges
        return false
    }

    static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy(\.isASCII), let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    static func ipv6(_ raw: String) -> [UInt16]? {
        var text = raw
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }   // zone id
        var tail: [UInt16] = []
        if text.contains("."), let lastColon = text.lastIndex(of: ":") {   // a trailing dotted IPv4 part
            guard let v4 = ipv4(String(text[text.index(after: lastColon)...])) else { return nil }
            tail = [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
            var prefix = String(text[...lastColon])
            if !prefix.hasSuffix("::") { prefix.removeLast() }
            text = prefix
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(g.count), let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 2 {
            guard let rest = groups(halves[1]) else { return nil }
            let missing = 8 - head.count - rest.count - tail.count
            guard missing >= 1 else { return nil }
            return head + Array(repeating: 0, count: missing) + rest + tail
        }
        let all = head + tail
        return all.count == 8 ? all : nil
    }
}
