internal import Glibc
internal import MallGateDecode
internal import MallGateIdentify
internal import MallGateLocalize
internal import MallGateStore
internal import MallGateVenue
internal import MallGateWeb
internal import Synchronization

/// The web UI's view of the running pipeline: layout, sensor health, occupancy, the identify
/// stage for typed MACs, the window tap, the store's visit figures and the reload path.
final class PipelineWebBackend: WebBackend {
    let service: PipelineService
    let database: BufferDatabase
    let live: Bool
    /// A copy of the pipeline's identify stage (same key, rotation and opt-out list).
    private let identifier: Mutex<DeviceIdentifier>
    /// Visits with a row id above `mark` are "today" (`day` is that day's midnight).
    private let today: Mutex<(day: Int64?, mark: Int64)>

    /// - Parameter firstVisit: the visits table's last row id when the agent started.
    init(service: PipelineService, identifier: DeviceIdentifier, database: BufferDatabase, live: Bool, firstVisit: Int64) {
        self.service = service
        self.database = database
        self.live = live
        self.identifier = Mutex(identifier)
        today = Mutex((nil, firstVisit))
    }

    func layout() async -> WebLayout {
        let model = await service.engine.pipelineModel
        let configuration = service.currentConfiguration
        return WebLayout(
            venue: model.venue, layoutHash: model.layoutHash, modelZones: model.model.classes.classes.map { $0[0] },
            modelPath: configuration.modelPath, stateDirectory: configuration.stateDirectory)
    }

    /// The pipeline clock: wall time when capturing live, the latest capture time in a replay.
    private func now() async -> Int64 {
        if !live, let t = await service.engine.latestCaptureNanoseconds { return t }
        return wallNanoseconds()
    }

    func live() async -> WebLiveState {
        let sensors = await service.statusSensors()
        let processed = await service.engine.sensors
        let model = await service.engine.pipelineModel
        var channels: [String: [Int]] = [:]
        for sensor in model.venue.sensors { channels[sensor.id] = sensor.channels.channels }
        for source in service.currentConfiguration.sources {
            if case .interface(_, let list, _, _) = source.kind, !list.isEmpty { channels[source.sensor] = list }
        }
        return WebLiveState(
            nowNanoseconds: await now(),
            sensors: sensors.map {
                WebSensorHealth(
                    id: $0.name, frames: $0.frames, probeRequests: processed[$0.name]?.probeRequests ?? 0, kernelDrops: $0.kernelDropped,
                    pipelineDrops: $0.droppedAtEdge, lastHeard: $0.lastHeard, silent: $0.silent, channels: channels[$0.name] ?? [])
            },
            occupancy: await service.engine.devicesPerStore, activeDevices: await service.engine.activeDevices)
    }

    func deviceID(of mac: MACAddress) async -> UInt64? {
        let t = await now()
        return identifier.withLock { $0.deviceID(mac, unixNanoseconds: t) }
    }

    func watch(_ devices: Set<UInt64>, onWindow: @escaping @Sendable (WatchedWindow) -> Void) async {
        guard !devices.isEmpty else {
            await service.engine.setWindowTap(nil)
            return
        }
        let names = await service.engine.pipelineModel.model.features.sensorNames
        await service.engine.setWindowTap(WindowTap(devices: devices) { watched, w, position in
            onWindow(WatchedWindow(
                device: watched, endNanoseconds: w.endNanoseconds, firstReadingNanoseconds: w.firstReadingNanoseconds,
                lastReadingNanoseconds: w.lastReadingNanoseconds, sample: w.sample, sensorNames: names,
                zone: position.zoneName, confidence: Float(position.confidence)))
        })
    }

    func storeStatistics(sinceNanoseconds: Int64) async -> [WebStoreStatistics] {
        let (day, mark) = today.withLock { $0 }
        var from = mark
        if let day, day != sinceNanoseconds, let last = try? await database.lastRowID(.visits) {
            // A new day began since the last look: count from here.
            from = last
        }
        today.withLock { $0 = (sinceNanoseconds, from) }
        guard let rows = try? await database.visitSummary(afterID: from) else { return [] }
        return rows.map {
            WebStoreStatistics(storeID: $0.storeName, visits: $0.visits, visitors: $0.visitors, passersBy: $0.passersBy, medianDwellSeconds: $0.medianDwellSeconds)
        }
    }

    func reload() async -> String? {
        await service.reload()
        return service.lastReloadError
    }
}
