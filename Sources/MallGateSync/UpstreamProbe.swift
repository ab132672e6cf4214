// One authenticated request to the collector, for `mallgate doctor`: is it reachable, is its
// certificate trusted, is the token accepted — without uploading anything.
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL

/// What `GET /v1/whoami` told about the upstream connection.
public enum UpstreamProbeResult: Sendable, Equatable {
    /// TLS (if any) verified and the token belongs to this gateway at the collector.
    case accepted(gateway: String, venue: String)
    /// 401: the collector does not know the token (wrong, or revoked).
    case unauthorized
    /// The TLS handshake failed: `detail` is the TLS library's reason (e.g. a self-signed certificate).
    case tlsFailure(detail: String)
    /// No connection (DNS, refused, timeout).
    case unreachable(detail: String)
    /// Something answered, but not as a collector does (a proxy, a wrong URL path).
    case unexpected(status: Int, body: String)
}

/// Asks the collector who this gateway's token belongs to (`GET /v1/whoami`).
public enum UpstreamProbe {
    /// Runs the request with the uploader's TLS settings and timeouts, blocking the calling thread
    /// (doctor is a synchronous command; never call this on an event loop).
    public static func whoami(_ configuration: UploaderConfiguration, timeout: Duration) -> UpstreamProbeResult {
        let clientConfiguration: HTTPClient.Configuration
        do { clientConfiguration = try Uploader.clientConfiguration(configuration) } catch {
            return .tlsFailure(detail: "\(error)")
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        defer { try? client.syncShutdown() }
        let url = (configuration.url.hasSuffix("/") ? String(configuration.url.dropLast()) : configuration.url) + "/v1/whoami"
        do {
            var request = try HTTPClient.Request(url: url, method: .GET)
            request.headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
            let response = try client.execute(request: request, deadline: .now() + Uploader.timeAmount(timeout)).wait()
            var body = response.body ?? ByteBuffer()
            let text = body.readString(length: min(body.readableBytes, 300)) ?? ""
            switch response.status.code {
            case 200:
                return .accepted(gateway: jsonField("gateway", text) ?? "?", venue: jsonField("venue", text) ?? "?")
            case 401:
                return .unauthorized
            default:
                return .unexpected(status: Int(response.status.code), body: DeliveryOutcome.text(Array(text.utf8)))
            }
        } catch {
            return classify(error)
        }
    }

    /// A transport error as TLS trouble or plain unreachability.
    static func classify(_ error: any Error) -> UpstreamProbeResult {
        let text = "\(error)"
        if error is NIOSSLError || error is BoringSSLError || text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("handshake")
            || text.contains("SSL") || text.contains("TLS")
        {
            return .tlsFailure(detail: text)
        }
        return .unreachable(detail: text)
    }

    /// The string value of `"name":"…"` in a small flat JSON object (the whoami answer).
    static func jsonField(_ name: String, _ json: String) -> String? {
        guard let key = json.firstRange(of: "\"\(name)\":\"") else { return nil }
        var value = ""
        var escaped = false
        for character in json[key.upperBound...] {
            if escaped {
                value.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                return value
            } else {
                value.append(character)
            }
        }
        return nil
    }
}
