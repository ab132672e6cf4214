import Glibc
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// What the proxy does to one TCP connection between the uploader and the collector.
enum Fault: Sendable, Equatable, CustomStringConvertible {
    /// Forward both ways untouched.
    case pass
    /// Read this many request bytes, then close (a link dropping mid-upload).
    case dropAfterRequestBytes(Int)
    /// Read everything, answer nothing (the uploader's timeout must fire).
    case stall
    /// Answer this status (with an optional Retry-After) instead of the collector.
    case respond(Int, retryAfter: String?)
    /// Close with a TCP RST as soon as the request starts.
    case reset
    /// Forward the request, let the collector store it, then lose the answer.
    case dropResponse

    var description: String {
        switch self {
        case .pass: "pass"
        case .dropAfterRequestBytes(let n): "drop after \(n) request bytes"
        case .stall: "stall"
        case .respond(let status, let after): "answer \(status)\(after.map { " Retry-After: \($0)" } ?? "")"
        case .reset: "reset"
        case .dropResponse: "drop the response"
        }
    }
}

/// The faults still to apply and those applied, shared with the event loops.
final class FaultScript: Sendable {
    private let state: Mutex<(pending: [Fault], applied: [Fault])>

    init(_ faults: [Fault]) { state = Mutex((faults, [])) }

    /// The next connection's fault (`.pass` once the script is used up).
    func next() -> Fault {
        state.withLock { state in
            let fault = state.pending.isEmpty ? Fault.pass : state.pending.removeFirst()
            state.applied.append(fault)
            return fault
        }
    }

    var applied: [Fault] { state.withLock { $0.applied } }
    var remaining: Int { state.withLock { $0.pending.count } }
}

/// A TCP proxy for the fault tests: each accepted connection takes the next fault from a script.
final class FaultProxy: Sendable {
    let script: FaultScript
    private let channel: any Channel
    let port: Int

    /// - Parameter tls: terminate TLS with this context in front of the collector (a TLS collector
    ///   for the doctor's certificate checks); nil for plain TCP.
    init(targetPort: Int, script faults: [Fault], tls: NIOSSLContext? = nil) async throws {
        let script = FaultScript(faults)
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: targetPort)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let fault = script.next()
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(FrontHandler(fault: fault, target: target))
                }
            }
        channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
        self.script = script
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func close() async {
        try? await channel.close()
    }
}

/// The uploader's side of one proxied connection.
private final class FrontHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let fault: Fault
    let target: SocketAddress
    private var backend: (any Channel)?
    private var waiting: [ByteBuffer] = []
    private var request = ByteBuffer()
    private var received = 0
    private var answered = false

    init(fault: Fault, target: SocketAddress) {
        self.fault = fault
        self.target = target
    }

    func channelActive(context: ChannelHandlerContext) {
        switch fault {
        case .pass, .dropResponse:
            let front = context.channel
            let dropResponse = fault == .dropResponse
            ClientBootstrap(group: context.eventLoop)
                .channelInitializer { back in
                    back.eventLoop.makeCompletedFuture {
                        try back.pipeline.syncOperations.addHandler(BackHandler(front: front, dropResponse: dropResponse))
                    }
                }
                .connect(to: target)
                .assumeIsolated()
                .whenComplete { result in
                    switch result {
                    case .success(let back):
                        self.backend = back
                        for buffer in self.waiting { back.write(buffer, promise: nil) }
                        back.flush()
                        self.waiting = []
                    case .failure:
                        context.close(promise: nil)
                    }
                }
        default:
            break
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readableBytes
        switch fault {
        case .pass, .dropResponse:
            if let backend { backend.writeAndFlush(buffer, promise: nil) } else { waiting.append(buffer) }
        case .dropAfterRequestBytes(let limit):
            if received >= limit { context.close(promise: nil) }
        case .stall:
            break
        case .respond(let status, let retryAfter):
            request.writeBuffer(&buffer)
            guard !answered, Self.requestComplete(request) else { return }
            answered = true
            var head = "HTTP/1.1 \(status) Fault\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n"
            if let retryAfter { head += "Retry-After: \(retryAfter)\r\n" }
            head += "\r\ninjected err\n"
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: head))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .reset:
            // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            guard let socket = context.channel as? any SocketOptionProvider else {
                context.close(promise: nil)
                return
            }
            socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        backend?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// True once the head and a Content-Length body have arrived.
    static func requestComplete(_ buffer: ByteBuffer) -> Bool {
        let bytes = Array(buffer.readableBytesView)
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }) else {
            return false
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        var length = 0
        for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).filter { $0 != " " }) ?? 0
        }
        return bytes.count >= end + 4 + length
    }
}

/// The collector's side of one proxied connection.
private final class BackHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let front: any Channel
    let dropResponse: Bool

    init(front: any Channel, dropResponse: Bool) {
        self.front = front
        self.dropResponse = dropResponse
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if dropResponse {
            // The collector has answered, so it has stored the batch; the uploader never hears it.
            front.close(promise: nil)
            context.close(promise: nil)
        } else {
            front.writeAndFlush(buffer, promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        front.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
