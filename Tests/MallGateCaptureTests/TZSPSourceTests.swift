import Glibc
import MallGateDecode
import Testing
@testable import MallGateCapture

/// A TZSP datagram as a MikroTik sniffer sends it: version 1, type 0 (received), encapsulation 18
/// (802.11), tag 0x01 (end of tags), then the first bytes of an 802.11 probe request.
let tzspDatagram: [UInt8] = [
    0x01,                    // TZSP version 1
    0x00,                    // type 0: received tag list
    0x00, 0x12,              // encapsulation 18: IEEE 802.11
    0x01,                    // tag END
    0x40, 0x00,              // frame control: management, subtype 4 (probe request)
    0x00, 0x00,              // duration
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // addr1: broadcast
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // addr2: a locally administered (random) MAC
]

/// Sends `bytes` to localhost:`port` from a new socket of `family`, bound to `from`.
func sendDatagram(_ bytes: [UInt8], port: UInt16, family: Int32 = AF_INET, from: String? = nil) {
    let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
    precondition(fd >= 0)
    defer { close(fd) }
    if family == AF_INET6 {
        var to = sockaddr_in6()
        to.sin6_family = sa_family_t(AF_INET6)
        to.sin6_port = port.bigEndian
        _ = inet_pton(AF_INET6, "::1", &to.sin6_addr)
        let n = withUnsafePointer(to: &to) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
        precondition(n == bytes.count)
    } else {
        if let from {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            _ = inet_pton(AF_INET, from, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            precondition(bound == 0)
        }
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = port.bigEndian
        _ = inet_pton(AF_INET, "127.0.0.1", &to.sin_addr)
        let n = withUnsafePointer(to: &to) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        precondition(n == bytes.count)
    }
}

/// Reads until `count` frames arrived (or a timeout with nothing), copying the bytes.
func collect(_ source: TZSPSource, count: Int) throws -> [[UInt8]] {
    var frames: [[UInt8]] = []
    while frames.count < count {
        let outcome = try source.read(maxFrames: 16) { frames.append(Array($0.bytes)) }
        if outcome == .timeout || outcome == .endOfInput { break }
    }
    return frames
}

struct TZSPSourceTests {
    @Test func datagramsArriveUnchangedOverIPv4AndIPv6() throws {
        let source = try TZSPSource(port: 0, bindAddress: "::", sensor: "ap-1")
        #expect(source.linkTypes == [.tzsp])
        #expect(source.boundPort != 0)
        sendDatagram(tzspDatagram, port: source.boundPort)
        sendDatagram(tzspDatagram + [0xAA], port: source.boundPort, family: AF_INET6)
        let frames = try collect(source, count: 2)
        #expect(frames == [tzspDatagram, tzspDatagram + [0xAA]])
        #expect(source.statistics().first?.framesRead == 2)
        #expect(source.statistics().first?.bytesRead == UInt64(2 * tzspDatagram.count + 1))
    }

    @Test func aBatchOfDatagramsIsNumberedInOrder() throws {
        let source = try TZSPSource(port: 0, bindAddress: "127.0.0.1", sensor: "ap-1")
        for i in 0..<40 { sendDatagram(tzspDatagram + [UInt8(i)], port: source.boundPort) }
        var numbers: [UInt64] = []
        var tails: [UInt8] = []
        while numbers.count < 40 {
            let outcome = try source.read(maxFrames: 100) { frame in
                numbers.append(frame.frameNumber)
                tails.append(frame.bytes.last!)
            }
            if outcome == .timeout { break }
        }
        #expect(numbers == Array(1...40))
        #expect(tails == (0..<40).map(UInt8.init))
    }

    @Test func sendersOutsideTheAllowedListAreDroppedAndCounted() throws {
        // 127.0.0.2 is loopback too, so the test can send from an address that is not allowed.
        let source = try TZSPSource(port: 0, bindAddress: "0.0.0.0", allowedSenders: ["127.0.0.1", "2001:db8::1"], sensor: "ap-1")
        sendDatagram(tzspDatagram + [1], port: source.boundPort, from: "127.0.0.2")
        sendDatagram(tzspDatagram + [2], port: source.boundPort, from: "127.0.0.1")
        let frames = try collect(source, count: 1)
        #expect(frames == [tzspDatagram + [2]])
        #expect(source.statistics().first?.datagramsRejected == 1)
    }

    @Test func quietSocketTimesOut() throws {
        var options = TZSPSource.Options()
        options.pollIntervalMilliseconds = 20
        let source = try TZSPSource(port: 0, bindAddress: "127.0.0.1", sensor: "ap-1", options: options)
        #expect(try source.read(maxFrames: 10) { _ in } == .timeout)
    }

    @Test func interruptEndsABlockedRead() throws {
        var options = TZSPSource.Options()
        options.pollIntervalMilliseconds = 60_000  // without interrupt the read would wait a minute
        let source = try TZSPSource(port: 0, bindAddress: "127.0.0.1", sensor: "ap-1", options: options)
        let reading = BlockingCall { Result { () throws(CaptureError) in try source.read(maxFrames: 10) { _ in } } }
        usleep(100_000)  // let the read block; the result does not depend on it
        source.interrupt()
        #expect(try reading.join().get() == .endOfInput)
    }

    @Test func badAddressesAndBusyPortsAreNamed() throws {
        #expect {
            _ = try TZSPSource(port: 0, allowedSenders: ["sensor-1.local"], sensor: "ap-1")
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .invalidConfiguration && error.description.contains("sensor-1.local")
        }
        #expect {
            _ = try TZSPSource(port: 0, bindAddress: "300.1.1.1", sensor: "ap-1")
        } throws: { error in
            (error as! CaptureError).kind == .invalidConfiguration
        }
        let first = try TZSPSource(port: 0, bindAddress: "127.0.0.1", sensor: "ap-1")
        #expect {
            _ = try TZSPSource(port: first.boundPort, bindAddress: "127.0.0.1", sensor: "ap-2")
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .socketFailed && error.function == "bind" && error.code == EADDRINUSE
                && error.description.contains("already in use")
        }
    }
}

/// One port, many sensors: each datagram goes to the sensor its sender's address names.
struct TZSPSenderMapTests {
    @Test func eachSenderIsItsOwnSensorAndStrangersAreRejected() throws {
        let source = try TZSPSource(
            port: 0, bindAddress: "0.0.0.0",
            senders: [(address: "127.0.0.2", sensor: "ap-2"), (address: "127.0.0.3", sensor: "ap-3"), (address: "127.0.0.4", sensor: "ap-2")])
        #expect(source.sensors == ["ap-2", "ap-3"])
        #expect(source.linkTypes == [.tzsp, .tzsp])
        sendDatagram(tzspDatagram + [1], port: source.boundPort, from: "127.0.0.3")
        sendDatagram(tzspDatagram + [2], port: source.boundPort, from: "127.0.0.2")
        sendDatagram(tzspDatagram + [3], port: source.boundPort, from: "127.0.0.5")  // not in the map
        sendDatagram(tzspDatagram + [4], port: source.boundPort, from: "127.0.0.4")  // ap-2's second address
        var seen: [(tail: UInt8, sensor: Int)] = []
        while seen.count < 3 {
            let outcome = try source.read(maxFrames: 16) { seen.append((tail: $0.bytes.last!, sensor: $0.sourceIndex)) }
            if outcome == .timeout || outcome == .endOfInput { break }
        }
        #expect(seen.map(\.tail) == [1, 2, 4])
        #expect(seen.map(\.sensor) == [1, 0, 0])
        let stats = source.statistics()
        #expect(stats.map(\.sensor) == ["ap-2", "ap-3"])
        #expect(stats.map(\.framesRead) == [2, 1])
        #expect(stats[0].datagramsRejected == 1 && stats[1].datagramsRejected == 0)
    }

    @Test func anAddressGivenToTwoSensorsOrAnEmptyMapIsRefused() throws {
        #expect {
            _ = try TZSPSource(port: 0, senders: [(address: "10.0.0.1", sensor: "a"), (address: "10.0.0.1", sensor: "b")])
        } throws: { error in
            let error = error as! CaptureError
            return error.kind == .invalidConfiguration && error.description.contains("10.0.0.1") && error.description.contains("two sensors")
        }
        #expect(throws: CaptureError.self) { _ = try TZSPSource(port: 0, senders: []) }
    }
}
