/// How the gateway reaches the collector: where, as whom, how patiently, over which TLS.
///
/// Loaded from the daemon's `[upstream]` section (issue 5) and validated there; the defaults
/// suit a mall uplink (slow, flaky) talking to one collector.
public struct UploaderConfiguration: Sendable, Equatable {
    /// The collector's base URL, e.g. `https://collector.example.com` (batches go to `/v1/batches`).
    public var url: String
    /// This gateway's bearer token (from `mallgate-collector gateway add`).
    public var token: String
    /// This gateway's name as registered at the collector.
    public var gatewayID: String
    /// Batches fetched from the outbox per round (and sent one after another).
    public var batchesPerRound: Int = 16
    /// Bodies larger than this are parked locally instead of sent (the collector's limit).
    public var maxBodyBytes: Int = 8 << 20
    /// TCP connect (and TLS handshake) timeout.
    public var connectTimeout: Duration = .seconds(10)
    /// Longest pause while sending the body.
    public var uploadTimeout: Duration = .seconds(30)
    /// Longest pause while waiting for the answer.
    public var responseTimeout: Duration = .seconds(30)
    /// The whole request, connect to last byte of the answer.
    public var requestTimeout: Duration = .seconds(120)
    /// Backoff between failed rounds.
    public var backoff: Backoff = Backoff()
    /// How long to wait when the outbox is empty before looking again.
    public var idlePollInterval: Duration = .seconds(5)
    public var tls: TLSOptions = TLSOptions()
    /// Reuse connections between batches. False sends `Connection: close` with every batch (for
    /// middleboxes that mishandle reuse; the fault tests use it to get one connection per attempt).
    public var keepAlive: Bool = true

    public init(url: String, token: String, gatewayID: String) {
        self.url = url
        self.token = token
        self.gatewayID = gatewayID
    }

    /// The endpoint batches are POSTed to.
    public var batchesURL: String {
        (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/v1/batches"
    }
}

/// TLS for the upload connection: verification on unless explicitly turned off.
public struct TLSOptions: Sendable, Equatable {
    /// Verify the collector's certificate chain and host name. Turn off only for a lab.
    public var verifyPeer: Bool = true
    /// PEM file of CA certificates to trust instead of the system store (a private PKI).
    public var caBundlePath: String?
    /// PEM client certificate chain for mutual TLS.
    public var clientCertificatePath: String?
    /// PEM private key of the client certificate.
    public var clientKeyPath: String?

    public init(verifyPeer: Bool = true, caBundlePath: String? = nil, clientCertificatePath: String? = nil, clientKeyPath: String? = nil) {
        self.verifyPeer = verifyPeer
        self.caBundlePath = caBundlePath
        self.clientCertificatePath = clientCertificatePath
        self.clientKeyPath = clientKeyPath
    }
}
