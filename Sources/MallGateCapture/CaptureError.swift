/// Why a capture source could not open or read, with what to do about it.
///
/// Operators meet these at 3 a.m. on a gateway in a mall, so each one names the
/// subject (file, interface, address), the sensor, the failing libpcap or system
/// call with its code and message, the frame number where that applies, and a
/// sentence of advice. ``Kind`` wraps an internal enum so kinds can be added
/// without breaking callers.
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    /// The category of failure, for callers that react differently (retry, skip the file, stop).
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        enum Storage: String, Hashable, Sendable {
            case fileNotFound, permissionDenied, notACapture, emptyFile, corruptFile, truncated
            case unsupportedLinkType, noSuchDevice, monitorModeUnsupported, interfaceNotUp
            case promiscuousPermissionDenied, invalidFilter, readFailed, socketFailed
            case invalidConfiguration, toolMissing, channelRejected, libpcap
        }
        let storage: Storage
        init(_ storage: Storage) { self.storage = storage }

        /// The file or FIFO does not exist.
        public static let fileNotFound = Kind(.fileNotFound)
        /// The process lacks a permission or capability (file mode, CAP_NET_RAW, CAP_NET_ADMIN).
        public static let permissionDenied = Kind(.permissionDenied)
        /// The file is neither pcap nor pcapng.
        public static let notACapture = Kind(.notACapture)
        /// The file or stream is empty: not even a capture header.
        public static let emptyFile = Kind(.emptyFile)
        /// The capture's header or a record header is invalid (absurd lengths, bad version).
        public static let corruptFile = Kind(.corruptFile)
        /// The capture ends in the middle of a frame; earlier frames were delivered.
        public static let truncated = Kind(.truncated)
        /// The frames' link type is not one the decoder reads.
        public static let unsupportedLinkType = Kind(.unsupportedLinkType)
        /// No network interface has that name.
        public static let noSuchDevice = Kind(.noSuchDevice)
        /// The interface cannot be put into monitor mode.
        public static let monitorModeUnsupported = Kind(.monitorModeUnsupported)
        /// The interface is down.
        public static let interfaceNotUp = Kind(.interfaceNotUp)
        /// Promiscuous mode was refused.
        public static let promiscuousPermissionDenied = Kind(.promiscuousPermissionDenied)
        /// The BPF filter does not compile or cannot be installed.
        public static let invalidFilter = Kind(.invalidFilter)
        /// Reading frames failed (I/O error, interface gone).
        public static let readFailed = Kind(.readFailed)
        /// A socket call failed (bind, address in use, bad address).
        public static let socketFailed = Kind(.socketFailed)
        /// The configuration asks for something impossible (bad address, zero port, empty hop list).
        public static let invalidConfiguration = Kind(.invalidConfiguration)
        /// A helper tool (`iw`) is not installed.
        public static let toolMissing = Kind(.toolMissing)
        /// The radio refused a channel change.
        public static let channelRejected = Kind(.channelRejected)
        /// Any other libpcap failure.
        public static let libpcap = Kind(.libpcap)

        public var description: String { storage.rawValue }
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// The sensor whose source failed, when known.
    public let sensor: SensorID?
    /// What failed: a file path, an interface name, an address.
    public let subject: String
    /// The libpcap or system function that reported the failure (`pcap_activate`, `bind`), if any.
    public let function: String?
    /// That function's return code or `errno`.
    public let code: Int32?
    /// libpcap's (or the system's) own message.
    public let systemMessage: String?
    /// The 1-based frame number the failure concerns, for read errors.
    public let frameNumber: UInt64?
    /// One sentence: what went wrong.
    public let summary: String
    /// One sentence: what to do about it.
    public let advice: String

    init(
        _ kind: Kind, sensor: SensorID?, subject: String, function: String? = nil, code: Int32? = nil,
        systemMessage: String? = nil, frameNumber: UInt64? = nil, summary: String, advice: String
    ) {
        self.kind = kind
        self.sensor = sensor
        self.subject = subject
        self.function = function
        self.code = code
        self.systemMessage = systemMessage
        self.frameNumber = frameNumber
        self.summary = summary
        self.advice = advice
    }

    /// Sensor, summary, the failing call, then the advice, on one line for logs.
    public var description: String {
        var text = ""
        if let sensor { text += "sensor \(sensor): " }
        text += summary
        if let function {
            text += " (\(function)"
            if let code { text += " returned \(code)" }
            if let systemMessage, !systemMessage.isEmpty { text += ": \(systemMessage)" }
            text += ")"
        } else if let systemMessage, !systemMessage.isEmpty {
            text += " (\(systemMessage))"
        }
        // The advice is its own sentence: capitalise it (advice strings start lower-case so they also read inline).
        text += ". " + advice.prefix(1).uppercased() + advice.dropFirst()
        return text
    }

    /// The same error attributed to another sensor (a merged source knows which file failed).
    func attributed(to sensor: SensorID) -> CaptureError {
        CaptureError(
            kind, sensor: sensor, subject: subject, function: function, code: code,
            systemMessage: systemMessage, frameNumber: frameNumber, summary: summary, advice: advice)
    }
}
