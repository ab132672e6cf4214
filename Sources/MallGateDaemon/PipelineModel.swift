internal import Glibc
public import MallGateLocalize
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

    /// Why the venue or model cannot be used, naming the file.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Loads the venue and model of `configuration` and checks they belong together.
    /// - Throws: ``LoadError`` naming the file and the problem.
    public static func load(_ configuration: DaemonConfiguration) throws(LoadError) -> PipelineModel {
        let venuePath = configuration.venuePath
        guard let bytes = readWholeFile(venuePath) else {
            throw LoadError(description: "\(venuePath): cannot read the venue (\(String(cString: strerror(errno)))); check `venue` in \(configuration.file)")
        }
        let venue: Venue
        do { venue = try VenueFile.decode(bytes, fileName: venuePath) } catch {
            throw LoadError(description: "\(error)")
        }
        let model: LocalizationModel
        do {
            guard let modelBytes = readWholeFile(configuration.modelPath) else {
                throw LoadError(description: "\(configuration.modelPath): cannot read the model (\(String(cString: strerror(errno)))); check `model` in \(configuration.file)")
            }
            model = try ModelFile.decode(modelBytes, source: configuration.modelPath, venue: (venue.id, LayoutHash.fnv1a64(bytes)))
        } catch let error as LoadError {
            throw error
        } catch {
            throw LoadError(description: "\(error)")
        }
        guard model.classes.labelNames.first == "zone" else {
            throw LoadError(description: "\(configuration.modelPath): not trained on the venue's zones (labels \(model.classes.labelNames.joined(separator: ","))); train it with `mallgate train --venue … --captures …`")
        }
        let sensors = Set(model.features.sensorNames)
        for source in configuration.sources where !source.sensor.isEmpty && !sensors.contains(source.sensor) {
            throw LoadError(description: "\(configuration.file): sensor \"\(source.sensor)\" is not a sensor of the model (its sensors: \(model.features.sensorNames.joined(separator: ", "))); use the venue's sensor ids")
        }
        return PipelineModel(venue: venue, model: model)
    }

    public init(venue: Venue, model: LocalizationModel) {
        self.venue = venue
        self.model = model
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
