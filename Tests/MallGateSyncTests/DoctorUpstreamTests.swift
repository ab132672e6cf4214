import Dispatch
import Glibc
import MallGateCollector
import MallGateDaemon
import MallGateTestSupport
import NIOSSL
import Testing

/// `mallgate doctor`'s upstream check against a real collector and induced faults: a token the
/// collector accepts, a wrong and a revoked token, a collector that is down, and a TLS collector
/// with a self-signed certificate — untrusted by default, trusted once `ca_file` names it.
@Suite("Doctor: upstream reachable, TLS valid, token accepted")
struct DoctorUpstreamTests {
    /// A configuration whose only interesting part is `[upstream]` (the doctor's other checks are
    /// DoctorTests' business).
    static func report(url: String, token: String, gateway: String = "gw-doc", extra: String = "") async -> DoctorCheck? {
        let directory = makeTemporaryDirectory("doctor-upstream")
        let text = """
            venue = "venue.json"
            model = "model.mgm"
            state_directory = "state"
            [[sources]]
            kind = "directory"
            path = "captures"
            [upstream]
            url = "\(url)"
            token_env = "MG_TOKEN"
            gateway_id = "\(gateway)"
            \(extra)
            """
        writeText(directory + "/gateway.toml", text)
        var environment = DoctorEnvironment()
        environment.processEnvironment = ["MG_TOKEN": token]
        environment.upstreamTimeoutSeconds = 10
        let frozen = environment
        // The doctor blocks while it asks the collector: off the cooperative pool, which serves the collector.
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Doctor.run(configurationPath: directory + "/gateway.toml", environment: frozen)["upstream"])
            }
        }
    }

    @Test("accepted token passes; wrong and revoked tokens fail with the fix; a stopped collector fails as unreachable")
    func tokens() async throws {
        // The collector runs as its own process (the binary an operator runs): in this process it
        // would share the test runner's two cooperative threads with tests that block them, and the
        // doctor's 10 s answer deadline would measure the test runner, not the collector.
        let directory = makeTemporaryDirectory("doctor-collector")
        let database = directory + "/collector.sqlite"
        let cli = "\(sh(CollectorCLITests.binary)) gateway"
        let added = shell("\(cli) add gw-doc --venue demo-mall --database \(sh(database))", mergeStderr: true)
        try #require(added.status == 0, "\(added.output)")
        let token = String(added.output.filter { !$0.isWhitespace })
        let port = try #require(freeLoopbackPort())
        let server = try #require(DemoGateway.spawn(
            ["serve", "--database", database, "--port", String(port)], token: "", directory: directory, name: "collector",
            binary: CollectorCLITests.binary))
        defer { if DemoGateway.alive(server.pid) { server.signal(SIGKILL) } }
        var listening = false
        for _ in 0..<300 where !listening {
            try await Task.sleep(for: .milliseconds(50))
            listening = tcpAccepts(port: port)
        }
        try #require(listening, "mallgate-collector serve did not listen: \(server.errors)")
        let collector = (url: "http://127.0.0.1:\(port)", port: port)

        let ok = try #require(await Self.report(url: collector.url, token: token))
        #expect(ok.status == .ok, "\(ok.line)")
        #expect(ok.message.contains("token accepted for gateway gw-doc (venue demo-mall)"), "\(ok.line)")

        let otherName = try #require(await Self.report(url: collector.url, token: token, gateway: "gw-other"))
        #expect(otherName.status == .fail && otherName.fix.contains("gateway_id = \"gw-doc\""), "\(otherName.line)")

        let wrong = try #require(await Self.report(url: collector.url, token: "mgt_" + String(repeating: "0", count: 64)))
        #expect(wrong.status == .fail, "\(wrong.line)")
        #expect(wrong.message.contains("token wrong or revoked"), "\(wrong.line)")
        #expect(wrong.fix.contains("mallgate-collector gateway add gw-doc"), "\(wrong.line)")

        #expect(shell("\(cli) revoke gw-doc --database \(sh(database))").status == 0)
        let revoked = try #require(await Self.report(url: collector.url, token: token))
        #expect(revoked.status == .fail && revoked.message.contains("token wrong or revoked"), "\(revoked.line)")

        server.signal(SIGTERM)
        #expect(try await server.exitStatus(seconds: 20) != nil, "the collector did not stop on SIGTERM")
        let down = try #require(await Self.report(url: collector.url, token: token))
        #expect(down.status == .fail && down.message.contains("unreachable"), "\(down.line)")
        #expect(down.fix.contains("firewall"))
    }

    @Test("a self-signed collector certificate fails with how to trust it; with ca_file it passes",
          .enabled(if: shell("command -v openssl >/dev/null").status == 0, "openssl is not installed"))
    func selfSignedCertificate() async throws {
        let directory = makeTemporaryDirectory("doctor-tls")
        let made = shell(
            "cd \(sh(directory)) && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost",
            mergeStderr: true)
        try #require(made.status == 0, "\(made.output)")
        let tls = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(directory + "/cert.pem").map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: directory + "/key.pem", format: .pem))))
        let store = try StoreKind.sqlite.make("doctortls")
        let collector = try await startCollector(store)
        let token = try await register(store, "gw-doc", venue: "demo-mall")
        let front = try await FaultProxy(targetPort: collector.port, script: [], tls: tls)
        let url = "https://127.0.0.1:\(front.port)"

        let untrusted = try #require(await Self.report(url: url, token: token))
        #expect(untrusted.status == .fail, "\(untrusted.line)")
        #expect(untrusted.message.hasPrefix("TLS with 127.0.0.1:\(front.port) failed"), "\(untrusted.line)")
        #expect(untrusted.fix.contains("ca_file"), "\(untrusted.line)")

        let trusted = try #require(await Self.report(url: url, token: token, extra: "ca_file = \"\(directory)/cert.pem\""))
        #expect(trusted.status == .ok, "\(trusted.line)")
        #expect(trusted.message.contains("TLS certificate valid, token accepted"), "\(trusted.line)")

        await front.close()
        await collector.stop()
        await store.close()
    }

    /// Mutual TLS: a collector (behind a TLS front) that requires a client certificate from its
    /// CA refuses a gateway without one and accepts it with `client_certificate_file` and
    /// `client_key_file` — the same TLS set-up the uploader uses.
    @Test("a collector that requires a client certificate: refused without one, accepted with client_certificate_file",
          .enabled(if: shell("command -v openssl >/dev/null").status == 0, "openssl is not installed"))
    func mutualTLS() async throws {
        let directory = makeTemporaryDirectory("doctor-mtls")
        let made = shell("""
            cd \(sh(directory)) && \
            openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 && \
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=gateways-ca && \
            openssl req -newkey rsa:2048 -nodes -keyout client-key.pem -out client.csr -subj /CN=gw-doc && \
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out client.pem -days 2
            """, mergeStderr: true)
        try #require(made.status == 0, "\(made.output)")
        var server = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(directory + "/cert.pem").map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: directory + "/key.pem", format: .pem)))
        server.certificateVerification = .noHostnameVerification
        server.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(directory + "/ca.pem"))
        let tls = try NIOSSLContext(configuration: server)
        let store = try StoreKind.sqlite.make("doctormtls")
        let collector = try await startCollector(store)
        let token = try await register(store, "gw-doc", venue: "demo-mall")
        let front = try await FaultProxy(targetPort: collector.port, script: [], tls: tls)
        let url = "https://127.0.0.1:\(front.port)"
        let trustServer = "ca_file = \"\(directory)/cert.pem\""

        let without = try #require(await Self.report(url: url, token: token, extra: trustServer))
        #expect(without.status == .fail, "\(without.line)")
        #expect(!without.message.contains("token accepted"), "\(without.line)")

        // A certificate from another CA is refused as well.
        let stranger = shell("""
            cd \(sh(directory)) && openssl req -x509 -newkey rsa:2048 -nodes -keyout stranger-key.pem -out stranger.pem -days 2 -subj /CN=gw-doc
            """, mergeStderr: true)
        try #require(stranger.status == 0, "\(stranger.output)")
        let foreign = try #require(await Self.report(url: url, token: token, extra: trustServer + """

            client_certificate_file = "\(directory)/stranger.pem"
            client_key_file = "\(directory)/stranger-key.pem"
            """))
        #expect(foreign.status == .fail, "\(foreign.line)")

        let with = try #require(await Self.report(url: url, token: token, extra: trustServer + """

            client_certificate_file = "\(directory)/client.pem"
            client_key_file = "\(directory)/client-key.pem"
            """))
        #expect(with.status == .ok, "\(with.line)")
        #expect(with.message.contains("TLS certificate valid, token accepted"), "\(with.line)")

        await front.close()
        await collector.stop()
        await store.close()
    }
}

/// A loopback TCP port nobody listens on right now (bound and released: a later bind may race, rarely).
func freeLoopbackPort() -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
}

/// Whether something accepts a TCP connection on a loopback port.
func tcpAccepts(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
