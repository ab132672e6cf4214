public import MallGateDecode

/// One thing a sensor heard from a phone: a decoded frame, when, and by which sensor.
///
/// This is what crosses from the capture thread to the pipeline. It holds values
/// only (no pointer into libpcap's buffer), so it outlives the frame it came from.
public struct Observation: Sendable {
    /// What was heard.
    public enum Event: Sendable {
        case probeRequest(ProbeRequest)
        /// Another frame the phone sent (association, data to an AP, …), when asked for.
        case deviceFrame(DeviceFrame)
    }

    /// The sensor, as an index into the owning ``CaptureSession/sensors``.
    public var sensor: Int
    /// Capture time, nanoseconds since the Unix epoch (UTC).
    public var timestampNanoseconds: Int64
    /// The frame's 1-based number in its sensor's input, for pointing at it in a capture.
    public var frameNumber: UInt64
    public var event: Event

    public init(sensor: Int, timestampNanoseconds: Int64, frameNumber: UInt64, event: Event) {
        self.sensor = sensor
        self.timestampNanoseconds = timestampNanoseconds
        self.frameNumber = frameNumber
        self.event = event
    }

    /// The radio data the frame came with.
    public var radio: RadioInfo {
        switch event {
        case .probeRequest(let probe): return probe.radio
        case .deviceFrame(let frame): return frame.radio
        }
    }

    /// The transmitter: the phone.
    public var source: MACAddress {
        switch event {
        case .probeRequest(let probe): return probe.source
        case .deviceFrame(let frame): return frame.source
        }
    }
}

/// Counters for one sensor: what its source read plus what the decoder made of it.
public struct SensorStatistics: Sendable {
    public var source: SourceStatistics
    public var decode: DecodeCounters
    /// Observations decoded but dropped at the edge because the pipeline was behind.
    public var droppedAtEdge: UInt64

    public init(source: SourceStatistics, decode: DecodeCounters = DecodeCounters(), droppedAtEdge: UInt64 = 0) {
        self.source = source
        self.decode = decode
        self.droppedAtEdge = droppedAtEdge
    }
}
