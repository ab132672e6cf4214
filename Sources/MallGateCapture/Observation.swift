public import MallGateDecode

/// One thing a sensor heard from a phone: a decoded frame, when, and by which sensor.
///
/// This is what crosses from the capture thread to the pipeline. It holds values
/// only (no pointer into libpcap's buffer), so it outlives the frame it came from.
/// The frame is stored as one ``ProbeRequest`` (a device frame uses its radio data,
/// addresses and sequence number) rather than an enum with payloads, so the capture
/// thread can decode each frame straight into its batch slot: written once, never copied.
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
    /// The probe request, or a device frame's radio data, source, destination and sequence number.
    var frame: ProbeRequest
    /// nil for a probe request; what kind of device frame otherwise.
    var deviceKind: DeviceFrame.Kind?
    /// For a device frame: whether it has a sequence number (control frames have none).
    var deviceHasSequenceNumber = false

    public init(sensor: Int, timestampNanoseconds: Int64, frameNumber: UInt64, event: Event) {
        self.sensor = sensor
        self.timestampNanoseconds = timestampNanoseconds
        self.frameNumber = frameNumber
        switch event {
        case .probeRequest(let probe):
            frame = probe
            deviceKind = nil
        case .deviceFrame(let device):
            frame = ProbeRequest()
            frame.radio = device.radio
            setDeviceFrame(source: device.source, destination: device.destination, kind: device.kind,
                           sequenceNumber: device.sequenceNumber)
        }
    }

    /// A probe request slot to decode into (``DecodeBatcher``).
    init(sensor: Int, timestampNanoseconds: Int64, frameNumber: UInt64) {
        self.sensor = sensor
        self.timestampNanoseconds = timestampNanoseconds
        self.frameNumber = frameNumber
        frame = ProbeRequest()
        deviceKind = nil
    }

    /// Makes this a device frame; its radio data is already in `frame.radio`.
    mutating func setDeviceFrame(source: MACAddress, destination: MACAddress, kind: DeviceFrame.Kind, sequenceNumber: UInt16?) {
        frame.source = source
        frame.destination = destination
        frame.sequenceNumber = sequenceNumber ?? 0
        deviceHasSequenceNumber = sequenceNumber != nil
        deviceKind = kind
    }

    /// What was heard.
    public var event: Event {
        guard let kind = deviceKind else { return .probeRequest(frame) }
        return .deviceFrame(DeviceFrame(
            radio: frame.radio, source: frame.source, destination: frame.destination, kind: kind,
            sequenceNumber: deviceHasSequenceNumber ? frame.sequenceNumber : nil))
    }

    /// Whether ``event`` is a probe request, asked without building the event.
    public var isProbeRequest: Bool { deviceKind == nil }

    /// The probe request, read in place (meaningful when ``isProbeRequest``): the pipeline's hot
    /// path reads a few of its fields per frame, and ``event`` first copies the whole request, a
    /// few hundred bytes, into the enum.
    public var probeRequest: ProbeRequest {
        _read { yield frame }
    }

    /// The radio data the frame came with.
    public var radio: RadioInfo { frame.radio }

    /// The transmitter: the phone.
    public var source: MACAddress { frame.source }
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
