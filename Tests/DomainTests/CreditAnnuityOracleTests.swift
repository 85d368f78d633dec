import Foundation
import Testing
import Domain

private typealias F = CreditFixtures

/// Declining-balance schedules checked to the cent against Tests/Oracles/credit_annuity_oracle.py
/// (numpy_financial.pmt + Python decimal). A missing python3 or numpy_financial fails the test.
@Suite("Annuity schedules against the independent oracle")
struct CreditAnnuityOracleTests {
    struct OracleRow: Decodable {
        let number: Int
        let principal: Int64
        let interest: Int64
        let total: Int64
    }

    struct OracleSchedule: Decodable {
        let payment: Int64
        let installments: [OracleRow]
    }

    enum OracleFailure: Error, CustomStringConvertible {
        case couldNotRun(String)
        case failed(status: Int32, stderr: String)
        case unreadable(String)

        var description: String {
            switch self {
            case .couldNotRun(let why): "could not start /usr/bin/env python3: \(why)"
            case .failed(127, let stderr): "python3 is not installed (env exited 127): \(stderr)"
            case .failed(3, let stderr): "numpy_financial is missing: \(stderr) (CI runs `pip install numpy-financial`)"
            case .failed(let status, let stderr): "oracle exited \(status): \(stderr)"
            case .unreadable(let output): "oracle printed no schedule JSON: \(output)"
            }
        }
    }

    /// Package root = three levels up from Tests/DomainTests/<this file>.
    static let oraclePath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Tests/Oracles/credit_annuity_oracle.py").path

    static func oracle(principal: Int64, rate: String, periods: Int) throws -> OracleSchedule {
        try run(oraclePath, [String(principal), rate, String(periods)], as: OracleSchedule.self)
    }

    /// Runs a Python oracle under Tests/Oracles and decodes the JSON it prints.
    static func run<T: Decodable>(_ script: String, _ arguments: [String], as type: T.Type) throws -> T {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            throw OracleFailure.couldNotRun(String(describing: error))
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OracleFailure.failed(
                status: process.terminationStatus, stderr: String(decoding: stderr, as: UTF8.self)
            )
        }
        do {
            return try JSONDecoder().decode(T.self, from: stdout)
        } catch {
            throw OracleFailure.unreadable(String(decoding: stdout, as: UTF8.self))
        }
    }

    static func compare(principal: Int64, rate: String, periods: Int) throws {
        let expected = try oracle(principal: principal, rate: rate, periods: periods)
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(principal), purchaseDate: F.date("2026-01-31"), plan: .installments(periods),
            product: F.product(tenor: periods, .decliningBalance(monthlyRate: F.rate(rate)))
        )
        let payment = try InstallmentSchedule.annuityPayment(
            principal: F.cny(principal), monthlyRate: F.rate(rate), periods: periods
        )
        let context: Comment = "P=\(principal) i=\(rate) n=\(periods)"
        #expect(payment.minorUnits == expected.payment, context)
        #expect(schedule.installments.count == expected.installments.count, context)
        for (row, oracleRow) in zip(schedule.installments, expected.installments) {
            #expect(row.number == oracleRow.number, context)
            #expect(row.principal.minorUnits == oracleRow.principal, "\(context) #\(row.number) principal")
            #expect(row.fee.minorUnits == oracleRow.interest, "\(context) #\(row.number) interest")
            #expect(row.total.minorUnits == oracleRow.total, "\(context) #\(row.number) total")
        }
    }

    @Test("the oracle script is found next to the tests")
    func oracleExists() {
        #expect(FileManager.default.fileExists(atPath: Self.oraclePath), "missing \(Self.oraclePath)")
    }

    @Test("declining-balance schedules equal the numpy-financial oracle to the cent", arguments: [
        (Int64(1_000_000), "0.01", 12),
        (Int64(1_000_000), "0.005", 24),
        (Int64(123_456_789), "0.0125", 6),
        (Int64(99_999), "0.0075", 3),
        (Int64(5_000_000), "0.0099", 24),
        (Int64(1), "0.01", 12),
        (Int64(100), "0.02", 24),
        (Int64(777_777), "0", 7),
        (Int64(9), "0.0001", 6),
        (Int64(50_000_000_00), "0.015", 36),
    ])
    func fixedCases(principal: Int64, rate: String, periods: Int) throws {
        try Self.compare(principal: principal, rate: rate, periods: periods)
    }

    @Test("seeded random declining-balance schedules equal the oracle to the cent")
    func seededCases() throws {
        var rng = CreditSeededGenerator(seed: 8_848)
        for _ in 0..<20 {
            let principal = Int64.random(in: 100...100_000_000, using: &rng)
            let rate = "\(rng.rate(maxUnits: 250, scale: 4))"
            let periods = [3, 6, 12, 24].randomElement(using: &rng) ?? 12
            try Self.compare(principal: principal, rate: rate, periods: periods)
        }
    }
}
