import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a private PostgreSQL cluster could not be started or stopped.
public struct LocalPostgresError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// How the private cluster is tuned.
public enum LocalPostgresProfile: Sendable {
    /// Durable settings for the embedded service database.
    case durable
    /// Throwaway settings for tests: no fsync, no full-page writes, many connections.
    case throwaway
}

/// A private PostgreSQL cluster in a data directory, reached over a Unix socket in that
/// directory (no TCP port, so clusters never collide). When the process runs as root the
/// cluster runs as the `postgres` system user, because `initdb`/`postgres` refuse root.
public final class LocalPostgresCluster: Sendable {
    public let dataDirectory: URL
    public let profile: LocalPostgresProfile
    /// The directory holding the server's Unix socket.
    public let socketDirectory: String
    /// The port number in the socket file name (`.s.PGSQL.<port>`); no TCP listener is opened.
    public let port: Int
    /// The superuser name the cluster was initialised with.
    public let superuser = "postgres"
    let binDirectory: URL
    let runAsPostgresUser: Bool
    let logger: Logger

    public init(dataDirectory: URL, profile: LocalPostgresProfile, port: Int = 5432, logger: Logger) throws {
        self.dataDirectory = dataDirectory.standardizedFileURL
        self.profile = profile
        self.port = port
        self.socketDirectory = self.dataDirectory.path
        self.binDirectory = try Self.findServerBinaries()
        self.runAsPostgresUser = getuid() == 0
        self.logger = logger
        // A Unix socket path is limited to 107 bytes.
        guard (socketDirectory + "/.s.PGSQL.\(port)").utf8.count < 100 else {
            throw LocalPostgresError("data directory path too long for a Unix socket: \(socketDirectory)")
        }
    }

    /// The socket path PostgresNIO connects to.
    public var socketPath: String { socketDirectory + "/.s.PGSQL.\(port)" }

    var clusterDirectory: URL { dataDirectory.appendingPathComponent("pgdata") }

    /// Finds `initdb`, `pg_ctl` and `postgres`: on PATH first, then the newest `/usr/lib/postgresql/*/bin`.
    static func findServerBinaries() throws -> URL {
        let fm = FileManager.default
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir))
            if fm.isExecutableFile(atPath: candidate.appendingPathComponent("initdb").path),
               fm.isExecutableFile(atPath: candidate.appendingPathComponent("pg_ctl").path) {
                // Resolve symlinks so pg_ctl finds its sibling `postgres`.
                let real = candidate.appendingPathComponent("pg_ctl").resolvingSymlinksInPath().deletingLastPathComponent()
                return real
            }
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? fm.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        for v in versions {
            let bin = URL(fileURLWithPath: "\(root)/\(v)/bin")
            if fm.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) { return bin }
        }
        throw LocalPostgresError(
            "PostgreSQL server binaries not found on PATH or under /usr/lib/postgresql/*/bin; install them (Debian: apt-get install postgresql) or pass --database-url")
    }

    /// Initialises the cluster if the data directory is new, then starts it unless it is running.
    /// Returns true when the cluster was created by this call.
    @discardableResult
    public func start() throws -> Bool {
        let fm = FileManager.default
        try fm.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        if runAsPostgresUser {
            try makeTraversableForPostgres()
            try run("/bin/chown", ["postgres:", dataDirectory.path], asPostgres: false)
        }
        var created = false
        if !fm.fileExists(atPath: clusterDirectory.appendingPathComponent("PG_VERSION").path) {
            logger.info("initialising private PostgreSQL cluster", metadata: ["data_dir": "\(clusterDirectory.path)"])
            try run(binDirectory.appendingPathComponent("initdb").path, [
                "-D", clusterDirectory.path, "-U", superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync",
            ])
            try writeSettings()
            created = true
        }
        if isRunning() {
            logger.info("private PostgreSQL cluster already running", metadata: ["data_dir": "\(clusterDirectory.path)"])
            return created
        }
        // A stale socket lock from a killed server would stop the new one from starting.
        try? fm.removeItem(atPath: socketPath + ".lock")
        try run(binDirectory.appendingPathComponent("pg_ctl").path, [
            "-D", clusterDirectory.path, "-l", dataDirectory.appendingPathComponent("postgres.log").path,
            "-w", "-t", "60", "start",
        ])
        logger.info("private PostgreSQL cluster started", metadata: ["socket": "\(socketPath)"])
        return created
    }

    /// The `postgres` user must be able to reach the data directory. A checkout in a private
    /// directory (`mktemp -d` makes mode 0700) would stop it, so each ancestor gets the
    /// search bit for others (traverse only: nothing becomes listable or readable).
    func makeTraversableForPostgres() throws {
        let fm = FileManager.default
        var dir = dataDirectory.deletingLastPathComponent().standardizedFileURL
        while dir.path != "/" && !dir.path.isEmpty {
            let attributes = try fm.attributesOfItem(atPath: dir.path)
            if let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value, mode & 0o001 == 0 {
                try fm.setAttributes([.posixPermissions: NSNumber(value: mode | 0o001)], ofItemAtPath: dir.path)
                logger.notice("added the search bit for others so the postgres user can reach the data directory",
                              metadata: ["directory": "\(dir.path)"])
            }
            dir = dir.deletingLastPathComponent().standardizedFileURL
        }
    }

    /// Stops the cluster (fast shutdown: open sessions are ended, data is kept).
    public func stop() {
        guard isRunning() else { return }
        do {
            try run(binDirectory.appendingPathComponent("pg_ctl").path, ["-D", clusterDirectory.path, "-m", "fast", "-w", "stop"])
            logger.info("private PostgreSQL cluster stopped")
        } catch {
            logger.error("stopping private PostgreSQL cluster failed", metadata: ["error": "\(error)"])
        }
    }

    /// True when `pg_ctl status` reports a running server for this data directory.
    public func isRunning() -> Bool {
        guard FileManager.default.fileExists(atPath: clusterDirectory.appendingPathComponent("postmaster.pid").path) else { return false }
        return (try? run(binDirectory.appendingPathComponent("pg_ctl").path, ["-D", clusterDirectory.path, "status"], quiet: true)) != nil
    }

    /// Stops the cluster and deletes its directory when `pid` (this process) exits, however it exits.
    /// Used for throwaway test clusters so a crashed test run leaves nothing running.
    public func stopAndRemoveWhenProcessExits(pid: Int32 = getpid()) throws {
        let pgctl = binDirectory.appendingPathComponent("pg_ctl").path
        let stop = runAsPostgresUser
            ? "runuser -u postgres -- \(pgctl) -D '\(clusterDirectory.path)' -m immediate stop"
            : "\(pgctl) -D '\(clusterDirectory.path)' -m immediate stop"
        let script = "while kill -0 \(pid) 2>/dev/null; do sleep 1; done; \(stop) >/dev/null 2>&1; rm -rf '\(dataDirectory.path)'"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Memory and WAL for the embedded database, sized to this machine once, when the cluster is
    /// created (an existing cluster keeps its `postgresql.auto.conf`).
    ///
    /// - `shared_buffers`: an eighth of the memory this process may use, at least PostgreSQL's 128 MB and at most
    ///   2 GB (the service, the nightly run and the OS page cache share the machine). 128 MB made
    ///   backends write their own dirty pages through a night at 1M lines (2.9M buffer writes).
    /// - `max_wal_size` 8 GB: at 1M lines a night writes about 6 GB of WAL; with the default 1 GB it
    ///   forced a checkpoint every few seconds, each followed by a full-page image of every page
    ///   touched again. Measured side by side with `Benchmarks/nightly/snapshot.sh` (PG_CONF):
    ///   the night went from 145–154 s to 126–141 s and PostgreSQL's CPU from 179–191 s to 157–171 s. The WAL
    ///   directory may grow to this size between checkpoints; `checkpoint_timeout` (5 min) still
    ///   bounds how much is replayed after a crash.
    static func durableMemorySettings(physicalMemory: UInt64) -> [String] {
        let sharedBuffers = sharedBuffersMB(physicalMemory: physicalMemory)
        // Written as PostgreSQL shows it (whole gigabytes in GB), so `SHOW` reads back the same text.
        let shown = sharedBuffers % 1024 == 0 ? "\(sharedBuffers / 1024)GB" : "\(sharedBuffers)MB"
        return ["shared_buffers = \(shown)", "max_wal_size = 8GB"]
    }

    /// An eighth of `physicalMemory` in megabytes, from 128 to 2048.
    static func sharedBuffersMB(physicalMemory: UInt64) -> UInt64 {
        min(max(physicalMemory / 8 / (1024 * 1024), 128), 2048)
    }

    /// Physical memory, or the cgroup's memory limit where one is set and lower (a container on a
    /// large host must not size its database by the host).
    static func availableMemory() -> UInt64 {
        let physical = ProcessInfo.processInfo.physicalMemory
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let limit = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0 {
                return min(physical, limit)
            }
        }
        return physical
    }

    func writeSettings() throws {
        var settings = [
            "listen_addresses = ''",
            "unix_socket_directories = '\(socketDirectory)'",
            "port = \(port)",
            "unix_socket_permissions = 0777",
            "max_connections = 200",
            "timezone = 'UTC'",
        ]
        switch profile {
        case .durable:
            settings += Self.durableMemorySettings(physicalMemory: Self.availableMemory())
        case .throwaway:
            settings += [
                "fsync = off", "synchronous_commit = off", "full_page_writes = off",
                "max_connections = 400", "shared_buffers = 256MB",
            ]
        }
        let conf = clusterDirectory.appendingPathComponent("postgresql.auto.conf")
        let text = "# written by qianzhuang\n" + settings.joined(separator: "\n") + "\n"
        // Write through the postgres user when root created the cluster, so ownership stays right.
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("qz-pgconf-\(UUID().uuidString)")
        try text.write(to: tmp, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: tmp) }
        if runAsPostgresUser {
            try run("/bin/chmod", ["644", tmp.path], asPostgres: false)
            try run("/bin/cp", [tmp.path, conf.path])
        } else {
            try? FileManager.default.removeItem(at: conf)
            try FileManager.default.copyItem(at: tmp, to: conf)
        }
    }

    @discardableResult
    func run(_ executable: String, _ arguments: [String], asPostgres: Bool = true, quiet: Bool = false) throws -> String {
        let argv = runAsPostgresUser && asPostgres
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments
            : [executable] + arguments
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("qz-cmd-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let status = try Self.spawnAndWait(argv, outputPath: outputURL.path)
        let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        guard status == 0 else {
            if !quiet {
                logger.debug("command failed", metadata: ["command": "\(executable)", "output": "\(text)"])
            }
            throw LocalPostgresError("\((executable as NSString).lastPathComponent) \(arguments.last ?? "") failed (exit \(status)): \(text.suffix(2000))")
        }
        return text
    }

    /// posix_spawn with stdin from /dev/null, stdout+stderr to a file and every other descriptor
    /// closed, then waitpid. Foundation's Process leaks a descriptor into grandchildren, and
    /// `pg_ctl start` leaves a server (a grandchild) running, so Process would never see the end.
    static func spawnAndWait(_ argv: [String], outputPath: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // bash closes every inherited descriptor above 2 and moves to "/" before exec'ing the command.
        let closer = #"for fd in /proc/$$/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done 2>/dev/null; cd / && exec "$@""#
        let wrapped = ["/bin/bash", "-c", closer, "qianzhuang"] + argv
        let cArgs = wrapped.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/bash", &actions, nil, cArgs, environ)
        guard rc == 0 else { throw LocalPostgresError("could not start \(argv[0]): errno \(rc)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw LocalPostgresError("waitpid failed: errno \(errno)") }
        }
        // WIFEXITED / WEXITSTATUS by hand (macros are not imported into Swift).
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
