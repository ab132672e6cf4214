import Glibc
@testable import MallGateWeb
import Testing

/// Training from the page runs on its own thread, the trainer's child tasks included, so it
/// never holds the cooperative pool's threads that the pipeline needs.
struct TrainingThreadTests {
    static func onTrainingThread() -> Bool { pthread_equal(pthread_self(), TrainingThread.shared.thread) != 0 }

    @Test func aTaskPreferringTheTrainingThreadAndItsChildrenRunThere() async {
        let places = await Task.detached(executorPreference: TrainingThread.shared, priority: .background) {
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { Self.onTrainingThread() } }
                var all = [Self.onTrainingThread()]
                for await place in group { all.append(place) }
                return all
            }
        }.value
        #expect(places == [Bool](repeating: true, count: 9))
        // A task without the preference runs on the pool.
        #expect(await Task.detached { Self.onTrainingThread() }.value == false)
    }
}
