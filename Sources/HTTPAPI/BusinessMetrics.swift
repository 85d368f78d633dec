import Foundation
import Prometheus
import Services
import Synchronization

/// Business and runtime metrics next to the HTTP ones at `/metrics` (#18).
///
/// - Counters of outcomes, counted by the handler that produced them: financing decisions, credit
///   checkouts and claim decisions. They are per process, so a dashboard sums them over replicas; an
///   idempotent replay is not counted again (the handler does not run), and a request whose commit is
///   lost after the handler ran and is retried counts twice, which is rare and only operational.
/// - Gauges read when `/metrics` is scraped: open reconciliation exceptions by kind, how long each
///   step of the latest nightly run took, webhook deliveries waiting and endpoints by state (from the
///   database, so every replica reports the same), the
///   connections this process holds from its pool, and the process's own CPU, memory and file handles.
final class BusinessMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let outcomes = MetricHandles<String, Prometheus.Counter>()
    private let exceptionKinds = Mutex<Set<String>>([])
    private let cpuReported = Mutex<Double>(0)
    private let started: TimeInterval

    init(registry: PrometheusCollectorRegistry, started: Date) {
        self.registry = registry
        self.started = started.timeIntervalSince1970
    }

    private static func descriptor(_ subsystem: String, _ name: String, unit: String? = nil, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "qianzhuang", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    private func count(_ subsystem: String, _ name: String, help: String, outcome: String) {
        outcomes.get("\(subsystem)/\(name)/\(outcome)") {
            registry.makeCounter(descriptor: Self.descriptor(subsystem, name, unit: "total", help), labels: [("outcome", outcome)])
        }.increment()
    }

    /// A financing request decided: approved, pending_review, declined or rejected.
    func financingDecision(_ status: String) {
        count("financing", "decisions", help: "Financing requests decided by this process, by outcome.", outcome: status)
    }

    /// A checkout authorized or declined at authorization, or captured / voided later.
    func checkout(_ status: String) {
        count("credit", "checkouts", help: "Credit checkouts by this process, by outcome (authorized, declined, captured, voided).",
              outcome: status)
    }

    /// A claim decided by an insurer or operator: approved (then paid) or rejected.
    func claimDecision(_ status: String) {
        count("insurance", "claim_decisions", help: "Claim decisions made through this process, by resulting status.", outcome: status)
    }

    /// Brings the scrape-time gauges up to date; the database's are skipped (and `database_up` is 0)
    /// when it cannot be read.
    func refresh(operations: OperationsService) async {
        let up = registry.makeGauge(descriptor: Self.descriptor("database", "up", "1 when /metrics could read the database, else 0."))
        do {
            let readings = try await operations.readings()
            // A kind seen once stays in the exposition at 0 when its last exception is resolved.
            let counts = Dictionary(readings.openExceptions.map { ($0.kind, $0.count) }, uniquingKeysWith: +)
            let kinds = exceptionKinds.withLock { seen in seen.formUnion(counts.keys); return seen }
            for kind in kinds.sorted() {
                registry.makeGauge(descriptor: Self.descriptor("reconciliation", "open_exceptions",
                                                               "Reconciliation exceptions not yet resolved, by kind."),
                                   labels: [("kind", kind)]).set(Int64(counts[kind] ?? 0))
            }
            for (step, seconds) in readings.lastNightlySteps {
                registry.makeGauge(descriptor: Self.descriptor("nightly", "step_duration", unit: "seconds",
                                                               "How long each step of the latest nightly run took."),
                                   labels: [("step", step)]).set(seconds)
            }
            if let day = readings.lastNightlyBusinessDay {
                registry.makeGauge(descriptor: Self.descriptor("nightly", "last_business_date", unit: "seconds",
                                                               "Business date of the latest nightly run, as a Unix time (midnight UTC)."))
                    .set(Int64(day * 86_400))
            }
            registry.makeGauge(descriptor: Self.descriptor("webhooks", "pending_deliveries",
                                                           "Webhook deliveries waiting to be sent or retried."))
                .set(readings.pendingWebhookDeliveries)
            registry.makeGauge(descriptor: Self.descriptor("webhooks", "oldest_pending_delivery_age", unit: "seconds",
                                                           "How long the oldest webhook delivery not yet sent has waited."))
                .set(readings.oldestPendingWebhookSeconds)
            for (state, count) in readings.webhookEndpoints {
                registry.makeGauge(descriptor: Self.descriptor("webhooks", "endpoints",
                                                               "Webhook endpoints by state: enabled, failing (enabled, not answering) or disabled."),
                                   labels: [("state", state)]).set(count)
            }
            up.set(Int64(1))
        } catch {
            up.set(Int64(0))
        }
        let pool = operations.pool
        registry.makeGauge(descriptor: Self.descriptor("database", "pool_connections_in_use",
                                                       "Pooled database connections this process holds right now.")).set(Int64(pool.inUse))
        if let maximum = pool.maximum {
            registry.makeGauge(descriptor: Self.descriptor("database", "pool_connections_max",
                                                           "The most database connections this process's pool opens.")).set(Int64(maximum))
        }
        refreshProcess()
    }

    /// The standard process_* metrics from /proc (Linux); nothing where /proc is absent.
    private func refreshProcess() {
        func gauge(_ name: String, _ help: String) -> Prometheus.Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "process", metricName: name, helpText: help))
        }
        gauge("start_time_seconds", "Start time of the process since the Unix epoch, in seconds.").set(started)
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            // Fields after the command name: state is field 3; utime and stime are 14 and 15 (clock ticks).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) {
                let total = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
                let delta = cpuReported.withLock { reported in
                    defer { reported = max(reported, total) }
                    return max(0, total - reported)
                }
                registry.makeCounter(descriptor: MetricNameDescriptor(
                    namespace: "process", metricName: "cpu_seconds", unitName: "total",
                    helpText: "Total user and system CPU time spent, in seconds.")).increment(by: delta)
            }
        }
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
           let kb = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            gauge("resident_memory_bytes", "Resident memory size in bytes.").set(kb * 1024)
        }
        if let handles = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            gauge("open_fds", "Number of open file descriptors.").set(Int64(handles.count))
        }
    }
}
