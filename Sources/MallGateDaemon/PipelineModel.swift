internal import MallGateSystem
internal import Glibc
public import MallGateLocalize
public import MallGateState
public import MallGateVenue
internal import MallGateVisits

/// The venue and the model the pipeline localizes with, loaded and checked together.
///
/// Loaded at start and on every SIGHUP; a reload that fails to produce one of these
/// leaves the running one in place.
public struct PipelineModel: Sendable {
    public let venue: Venue
    public let model: LocalizationModel
    /// Per class: its zone id, floor (storey number), and whether it is a store.
    let zones: [(id: String, floor: Int, isStore: Bool)]
    /// The classes as the visits stage sees them: stores, and the walkways in front of them.
    let layout: VisitLayout
    /// Which files were loaded; nil when built in memory.
    public internal(set) var provenance: Provenance?
    /// The layout hash of the venue file that was loaded (what a model trained for this venue
    /// must carry); built in memory, the model's own.
    public internal(set) var layoutHash: UInt64
    /// Why installed artifacts were passed over by ``load(_:)`` (empty when none was).
    public internal(set) var notes: [String] = []

    /// Why the venue or model cannot be used, naming the file.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Loads the venue and model the daemon runs with and checks they belong together: the
    /// installed artifacts (``ArtifactStore`` in the state directory) when they are for the
    /// configured venue and load cleanly, else the configuration's `venue` and `model` files.
    ///
    /// Pairs are tried in order — installed venue + installed model, installed venue +
    /// configured model, configured venue + installed model, configured venue + configured
    /// model — and the first that loads is used; why the ones before it were skipped is in
    /// ``notes`` (the daemon logs them and records an event). docs/daemon.md, "Installed artifacts".
    /// - Throws: ``LoadError`` naming the file and the problem (of the configuration's pair when nothing loads).
    public static func load(_ configuration: DaemonConfiguration) throws(LoadError) -> PipelineModel {
        let venuePath = configuration.venuePath
        guard let configVenueBytes = readWholeFile(venuePath) else {
            throw LoadError(description: "\(venuePath): cannot read the venue (\(String(cString: strerror(errno)))); check `venue` in \(configuration.file)")
        }
        let configVenue: Venue
        do { configVenue = try VenueFile.decode(configVenueBytes, fileName: venuePath) } catch {
            throw LoadError(description: "\(error)")
        }
        var notes: [String] = []
        let store = ArtifactStore(stateDirectory: configuration.stateDirectory)
        func installed(_ kind: ArtifactKind) -> Candidate? {
            let artifact: InstalledArtifact?
            do { artifact = try store.current(kind) } catch {
                notes.append("installed \(kind) not used: \(error)")
                return nil
            }
            guard let artifact else { return nil }
            guard artifact.manifest.venueID == configVenue.id else {
                notes.append("installed \(kind) \(artifact.manifest.sha256.prefix(12)) not used: it is for venue \"\(artifact.manifest.venueID)\", the configuration's venue is \"\(configVenue.id)\"")
                return nil
            }
            guard let bytes = readWholeFile(artifact.path) else {
                notes.append("installed \(kind) not used: \(artifact.path): \(String(cString: strerror(errno)))")
                return nil
            }
            return Candidate(path: artifact.path, bytes: bytes, source: artifact.manifest.source, sha256: artifact.manifest.sha256)
        }
        let configVenueCandidate = Candidate(path: venuePath, bytes: configVenueBytes, source: .config, sha256: ArtifactStore.sha256Hex(configVenueBytes))
        let configModelBytes = readWholeFile(configuration.modelPath)
        let configModelError = configModelBytes == nil
            ? LoadError(description: "\(configuration.modelPath): cannot read the model (\(String(cString: strerror(errno)))); check `model` in \(configuration.file)")
            : nil
        let configModelCandidate = configModelBytes.map {
            Candidate(path: configuration.modelPath, bytes: $0, source: .config, sha256: ArtifactStore.sha256Hex($0))
        }
        let venues = [installed(.venue), configVenueCandidate].compactMap { $0 }
        let models = [installed(.model), configModelCandidate].compactMap { $0 }
        var lastError = configModelError
        for venue in venues {
            for model in models {
                do {
                    var loaded = try make(configuration, venue: venue, model: model, configuredVenueID: configVenue.id)
                    loaded.notes = notes
                    return loaded
                } catch {
                    lastError = error
                    if venue.source != .config || model.source != .config {
                        let pair = "\(venue.source == .config ? "configured" : "installed") venue + \(model.source == .config ? "configured" : "installed") model"
                        notes.append("\(pair) not used: \(error)")
                    }
                }
            }
        }
        throw lastError ?? LoadError(description: "\(configuration.modelPath): no model to load")
    }

    /// A venue or model file the loader may use.
    public struct Candidate: Sendable {
        public var path: String
        public var bytes: [UInt8]
        public var source: ArtifactSource
        public var sha256: String
        public init(path: String, bytes: [UInt8], source: ArtifactSource, sha256: String) {
            self.path = path
            self.bytes = bytes
            self.source = source
            self.sha256 = sha256
        }
    }

    /// Where the running venue and model came from (file, SHA-256, installed or configured).
    public struct Provenance: Sendable, Equatable, CustomStringConvertible {
        public var venuePath: String
        public var venueSHA256: String
        public var venueSource: ArtifactSource
        public var modelPath: String
        public var modelSHA256: String
        public var modelSource: ArtifactSource

        public var description: String {
            "venue \(venueSHA256.prefix(12)) (\(venueSource)), model \(modelSHA256.prefix(12)) (\(modelSource))"
        }
    }

    /// Builds the pipeline's model from one venue and one model file, with every check the
    /// daemon makes: the venue has the configured id (and, unless it is the configuration's
    /// own file, validates without errors), the model was trained for exactly this layout, on
    /// zones, and knows the configured sensors.
    /// - Throws: ``LoadError`` naming the file and the problem.
    public static func make(_ configuration: DaemonConfiguration, venue venueFile: Candidate, model modelFile: Candidate, configuredVenueID: String) throws(LoadError) -> PipelineModel {
        let venue: Venue
        do { venue = try VenueFile.decode(venueFile.bytes, fileName: venueFile.path) } catch {
            throw LoadError(description: "\(error)")
        }
        guard venue.id == configuredVenueID else {
            throw LoadError(description: "\(venueFile.path): venue \"\(venue.id)\" is not this gateway's venue \"\(configuredVenueID)\" (the configuration's `venue`)")
        }
        if venueFile.source != .config, let problem = VenueValidator.validate(venue).first(where: { $0.severity == .error }) {
            throw LoadError(description: "\(venueFile.path): \(problem)")
        }
        let model: LocalizationModel
        let layoutHash = LayoutHash.fnv1a64(venueFile.bytes)
        do {
            model = try ModelFile.decode(modelFile.bytes, source: modelFile.path, venue: (venue.id, layoutHash))
        } catch {
            throw LoadError(description: "\(error)")
        }
        guard model.classes.labelNames.first == "zone" else {
            throw LoadError(description: "\(modelFile.path): not trained on the venue's zones (labels \(model.classes.labelNames.joined(separator: ","))); train it with `mallgate train --venue … --captures …`")
        }
        let sensors = Set(model.features.sensorNames)
        for source in configuration.sources {
            guard let unknown = source.sensorNames.first(where: { !sensors.contains($0) }) else { continue }
            throw LoadError(description: "\(configuration.file): sensor \"\(unknown)\" is not a sensor of the model \(modelFile.path) (its sensors: \(model.features.sensorNames.joined(separator: ", "))); use the venue's sensor ids")
        }
        var loaded = PipelineModel(venue: venue, model: model)
        loaded.layoutHash = layoutHash
        loaded.provenance = Provenance(
            venuePath: venueFile.path, venueSHA256: venueFile.sha256, venueSource: venueFile.source,
            modelPath: modelFile.path, modelSHA256: modelFile.sha256, modelSource: modelFile.source)
        return loaded
    }

    public init(venue: Venue, model: LocalizationModel) {
        self.venue = venue
        self.model = model
        self.layoutHash = model.layoutHash
        let byID = Dictionary(venue.zones.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let storey = Dictionary(venue.floors.map { ($0.id, $0.index) }, uniquingKeysWith: { a, _ in a })
        zones = model.classes.classes.map { parts in
            let zone = byID[parts[0]]
            let floor = zone?.floor ?? (parts.count > 1 ? parts[1] : "")
            return (parts[0], storey[floor] ?? 0, zone?.kind == .store)
        }
        layout = VisitLayout(venue: venue, classZones: model.classes.classes.map { $0[0] })
    }

    /// The model's sensor index for each sensor name.
    var sensorIndex: [String: Int] {
        var index: [String: Int] = [:]
        for (i, name) in model.features.sensorNames.enumerated() { index[name] = i }
        return index
    }
}
