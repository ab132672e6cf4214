import MallGateDecode
import Testing
@testable import MallGateCapture

@Suite(needsCaptures)
struct CaptureSessionTests {
    /// Frame number → what a ``FrameDecoder`` makes of each frame of `path`, read through a
    /// second source (the reference for what the session's batcher hands on).
    static func decodeDirectly(_ path: String, options: DecodeOptions) throws -> [UInt64: DecodedFrame] {
        let source = try PcapFileSource(path: path, sensor: "reference")
        var decoder = FrameDecoder(linkType: source.linkTypes[0], options: options)
        var decoded: [UInt64: DecodedFrame] = [:]
        while try source.read(maxFrames: 100, { frame in
            decoded[frame.frameNumber] = decoder.decode(frame.bytes)
        }) != .endOfInput {}
        return decoded
    }

    /// Probe requests and device frames decoded straight into batch slots come out as the
    /// decoder's own results, in frame order, with nothing else (other and dropped frames
    /// give their slot back).
    @Test(arguments: ["testsuites/miekg_pcap/Network_Join_Nokia_Mobile.pcap", "zamani_polimi/4.pcap"])
    func batchesHoldWhatTheDecoderMadeOfEachFrame(_ relative: String) async throws {
        let path = capture(relative)
        let decodeOptions = DecodeOptions(includeDeviceFrames: true)
        let expected = try Self.decodeDirectly(path, options: decodeOptions)
        var options = CaptureSession.Options()
        options.decode = decodeOptions
        options.replayBatchSize = 7  // several batches, some ending on a dropped slot
        let session = CaptureSession(sources: [(try PcapFileSource(path: path, sensor: "s"), live: false)], options: options)
        var seen: [(UInt64, DecodedFrame)] = []
        for await batch in session.start() {
            #expect(batch.count <= 7)
            for observation in batch {
                #expect(observation.sensor == 0)
                switch observation.event {
                case .probeRequest(let probe):
                    seen.append((observation.frameNumber, .probeRequest(probe)))
                    #expect(observation.source == probe.source && observation.radio == probe.radio)
                case .deviceFrame(let device):
                    seen.append((observation.frameNumber, .deviceFrame(device)))
                    #expect(observation.source == device.source && observation.radio == device.radio)
                }
            }
        }
        let kept = expected.filter { entry in
            switch entry.value {
            case .probeRequest, .deviceFrame: return true
            case .otherFrame, .dropped: return false
            }
        }.sorted { $0.key < $1.key }
        #expect(kept.contains { if case .deviceFrame = $0.value { true } else { false } }, "premise: the capture has device frames")
        #expect(kept.contains { if case .probeRequest = $0.value { true } else { false } }, "premise: the capture has probe requests")
        #expect(seen.map(\.0) == kept.map(\.key))
        for ((number, got), (_, want)) in zip(seen, kept) {
            #expect(got == want, "frame \(number)")
        }
        let statistics = session.statistics()
        #expect(statistics.count == 1)
        #expect(statistics.first?.decode.deviceFrames == UInt64(kept.filter { if case .deviceFrame = $0.value { true } else { false } }.count))
    }

    /// A replayed file next to a live source loses nothing when the pipeline is slow: the
    /// replay waits for room while only live sources drop at the edge.
    @Test func aReplayNextToALiveSourceWaitsInsteadOfDropping() async throws {
        let path = capture("baccichet_probing_patterns/OppoFindX3Neo-A_anonymized.pcap")  // 1185 probe requests
        let live = try TZSPSource(port: 0, bindAddress: "127.0.0.1", sensor: "remote")  // hears nothing
        var options = CaptureSession.Options()
        options.queueObservations = 1
        options.replayBatchSize = 16
        let session = CaptureSession(
            sources: [(live, live: true), (try PcapFileSource(path: path, sensor: "replay"), live: false)],
            options: options)
        var replayed = 0
        // The TZSP source never ends by itself: stop after a deadline so a failure fails, not
        // hangs. Generous: on a loaded machine (every suite in parallel) 20 s was seen to be short.
        let deadline = Task {
            try await Task.sleep(for: .seconds(120))
            session.stop()
        }
        defer { deadline.cancel() }
        for await batch in session.start() {
            replayed += batch.filter { session.sensors[$0.sensor] == "replay" }.count
            try? await Task.sleep(for: .milliseconds(2))  // a slow pipeline
            if replayed == 1185 { session.stop() }
        }
        #expect(replayed == 1185)
        let replay = try #require(session.statistics().first { $0.source.sensor == "replay" })
        #expect(replay.droppedAtEdge == 0)
    }
}
