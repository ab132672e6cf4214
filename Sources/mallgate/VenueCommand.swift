import ArgumentParser
import MallGateState
import MallGateVenue
#if canImport(Glibc)
import Glibc
#endif

/// `mallgate venue`: check, look at, and import the layout of a mall.
struct VenueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "venue",
        abstract: "Check, summarise, draw and import venue layouts (floors, stores, corridors, sensors).",
        discussion: """
            A venue file (JSON, see docs/venue-format.md) describes one mall: its floors,
            its zones (stores, corridor segments, entrances, escalators, lifts, stairs),
            how the zones connect (doors, open boundaries, vertical links), and where the
            sensors hang and which channels they listen on. Localization reports zones and
            visits are counted per store, so the layout must be right before anything else.

            Examples:
              mallgate venue validate firmware-configs/venues/demo-mall.json
              mallgate venue show firmware-configs/venues/demo-mall.json --svg-dir plans/
              mallgate venue import-imdf mall.zip --id north-mall --output venue.json
              mallgate venue format venue.json --in-place
            """,
        subcommands: [Validate.self, Show.self, ImportIMDF.self, Format.self]
    )

    /// `mallgate venue validate FILE`
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check a venue file and print every problem with its line.",
            discussion: """
                Reads FILE strictly (unknown keys are errors), then checks the layout: ids
                unique across floors, zones and sensors; floors and zones that exist; polygons
                with at least three corners that do not cross themselves; stores that do not
                overlap and each have a door; every zone reachable from an entrance; doors on
                the walls they join; sensors inside their floor, within radio range of some
                zone, with valid channel plans; zones no sensor can hear.

                Each problem is printed as
                  FILE:LINE: error|warning: PATH: what is wrong and what to do [code]
                followed by a count. The codes are listed in docs/venue-format.md.

                Exit status: 0 when there are no errors (warnings allowed), 1 when there are
                errors, 2 when the file cannot be read or parsed.

                Examples:
                  mallgate venue validate venue.json
                  mallgate venue validate venue.json --quiet-warnings
                """)

        @Argument(help: ArgumentHelp("The venue file (JSON).", valueName: "file"))
        var file: String

        @Flag(help: "Print errors only (warnings are still counted).")
        var quietWarnings = false

        func run() throws {
            let document: VenueDocument
            do {
                document = try VenueFile.loadDocument(path: file)
            } catch {
                printError("\(error.description)\n")
                throw ExitCode(2)
            }
            let issues = VenueValidator.validate(document.venue, locator: document.locator)
            for issue in issues where !(quietWarnings && issue.severity == .warning) {
                print(issue.formatted(file: file))
            }
            let errors = issues.filter { $0.severity == .error }.count
            let warnings = issues.count - errors
            print("\(file): \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
            if errors > 0 { throw ExitCode(1) }
        }
    }

    /// `mallgate venue show FILE [--svg-dir DIR]`
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Summarise a venue and draw an SVG plan of each floor.",
            discussion: """
                Prints the venue's floors, its zones per kind, its stores per floor, its
                sensors and their channels, and its connections. With --svg-dir, writes one
                plan per floor as DIR/<venue id>-<floor id>.svg: stores coloured by category
                with their names and ids, corridors grey, entrances green, lifts and
                escalators violet, doors as thick brown marks, sensors as dots coloured by
                channel (1 red, 6 green, 11 blue) with their ids, a scale bar, north up.
                Open an SVG in a browser, or turn it into a PNG with rsvg-convert.

                The file is read as strictly as by `validate`, but layout problems do not stop
                the summary: run `validate` for those.

                Examples:
                  mallgate venue show venue.json
                  mallgate venue show venue.json --svg-dir /tmp/plans
                  rsvg-convert /tmp/plans/*-L0.svg -o L0.png
                """)

        @Argument(help: ArgumentHelp("The venue file (JSON).", valueName: "file"))
        var file: String

        @Option(name: .customLong("svg-dir"), help: ArgumentHelp("Write one SVG plan per floor into this directory (created if missing).", valueName: "dir"))
        var svgDirectory: String?

        func run() throws {
            let venue: Venue
            do {
                venue = try VenueFile.load(path: file)
            } catch {
                printError("\(error.description)\n")
                throw ExitCode(2)
            }
            print(VenueSummary.text(venue), terminator: "")
            guard let svgDirectory else { return }
            if let failure = makeDirectories(svgDirectory) {
                printError("\(svgDirectory): cannot create the directory: \(String(cString: strerror(failure)))\n")
                throw ExitCode(2)
            }
            for floor in venue.floors {
                guard let svg = VenueSVG.render(venue, floor: floor.id) else { continue }
                let path = svgDirectory + "/" + "\(venue.id)-\(floor.id).svg"
                guard writeText(svg, to: path) else {
                    printError("\(path): cannot write: \(String(cString: strerror(errno)))\n")
                    throw ExitCode(2)
                }
                print("wrote \(path)")
            }
        }
    }

    /// `mallgate venue import-imdf PATH --id ID --output FILE`
    struct ImportIMDF: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-imdf",
            abstract: "Convert an Apple IMDF archive (folder or .zip of GeoJSON) into a venue file.",
            discussion: """
                Reads venue.geojson, level.geojson, unit.geojson, opening.geojson and, when
                present, occupant.geojson with anchor.geojson (Apple's Indoor Mapping Data
                Format, the format malls publish their indoor maps in). Levels become floors
                (by ordinal), units become zones (retail and rooms → stores, walkways →
                corridors, elevators → lifts, escalators, stairs; others → areas), openings
                become doors between the unit they touch and the adjacent walkway, occupants
                name their stores. Longitude/latitude become metres east/north of the venue's
                display point, which is written as the file's origin.

                IMDF has no sensors: add them to the output by hand, then run
                `mallgate venue validate` on it. The mapping is in docs/venue-format.md.
                Zip archives may be stored or deflated (the usual); other compression
                methods are refused with a hint to unzip first.

                Examples:
                  mallgate venue import-imdf mall.zip --id north-mall --output venue.json
                  mallgate venue import-imdf ./imdf-folder --id westfield-north \\
                      --output venue.json
                """)

        @Argument(help: ArgumentHelp("The IMDF archive: a folder or a .zip.", valueName: "path"))
        var path: String

        @Option(help: ArgumentHelp("The venue id to write (1–64 characters of A–Z a–z 0–9 - _ .).", valueName: "id"))
        var id: String

        @Option(help: ArgumentHelp("Where to write the venue file.", valueName: "file"))
        var output: String

        func run() throws {
            var venue: Venue
            do {
                venue = try IMDFImporter.importVenue(from: path)
            } catch {
                printError("\(error.description)\n")
                throw ExitCode(2)
            }
            venue.id = id
            do {
                try VenueFile.write(venue, to: output)
            } catch {
                printError("\(error.description)\n")
                throw ExitCode(2)
            }
            let stores = venue.zones.filter { $0.kind == .store }.count
            let doors = venue.connections.filter { $0.kind == .door }.count
            print("\(output): \(venue.floors.count) floors, \(venue.zones.count) zones (\(stores) stores), \(doors) doors; add sensors, then run: mallgate venue validate \(output)")
        }
    }

    /// `mallgate venue format FILE [--in-place]`
    struct Format: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "format",
            abstract: "Rewrite a venue file in the canonical layout.",
            discussion: """
                Reads FILE strictly and writes it back the way MallGate writes venue files:
                keys in documented order, two-space indent, each point and polygon on one line,
                defaults spelled out. Useful before committing a hand-edited or generated file,
                so diffs stay small. Prints to standard output unless --in-place.

                Examples:
                  mallgate venue format venue.json > tidy.json
                  mallgate venue format venue.json --in-place
                """)

        @Argument(help: ArgumentHelp("The venue file (JSON).", valueName: "file"))
        var file: String

        @Flag(help: "Replace FILE instead of printing.")
        var inPlace = false

        func run() throws {
            do {
                let venue = try VenueFile.load(path: file)
                if inPlace {
                    try VenueFile.write(venue, to: file)
                } else {
                    print(VenueFile.encode(venue), terminator: "")
                }
            } catch {
                printError("\(error.description)\n")
                throw ExitCode(2)
            }
        }
    }
}

/// The text `venue show` prints.
enum VenueSummary {
    static func text(_ venue: Venue) -> String {
        var out = "\(venue.name) (\(venue.id)), format version \(venue.formatVersion)\n"
        if let origin = venue.origin {
            out += "origin: \(origin.latitude), \(origin.longitude), bearing \(origin.bearing)°\n"
        }
        out += "floors: \(venue.floors.count)\n"
        for floor in venue.floors.sorted(by: { $0.index < $1.index }) {
            let zones = venue.zones.filter { $0.floor == floor.id }
            let stores = zones.filter { $0.kind == .store }
            let sensors = venue.sensors.filter { $0.floor == floor.id }
            let area = stores.reduce(0.0) { $0 + $1.polygon.area }
            out += "  \(floor.id) \"\(floor.name)\" index \(floor.index), elevation \(floor.elevation) m: \(zones.count) zones, \(stores.count) stores (\(Int(area.rounded())) m²), \(sensors.count) sensors\n"
        }
        out += "zones: \(venue.zones.count)\n"
        for kind in ZoneKind.allCases {
            let count = venue.zones.filter { $0.kind == kind }.count
            if count > 0 { out += "  \(kind.rawValue): \(count)\n" }
        }
        var categories: [String: Int] = [:]
        for zone in venue.zones where zone.kind == .store { categories[zone.category ?? "(none)", default: 0] += 1 }
        if !categories.isEmpty {
            out += "store categories: " + categories.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        }
        out += "connections: \(venue.connections.count)"
        let kinds: [(Connection.Kind, String)] = [(.door, "doors"), (.open, "open"), (.vertical, "vertical")]
        out += " (" + kinds.map { kind, name in "\(venue.connections.filter { $0.kind == kind }.count) \(name)" }.joined(separator: ", ") + ")\n"
        out += "sensors: \(venue.sensors.count)\n"
        var perChannel: [String: Int] = [:]
        for sensor in venue.sensors {
            let plan = sensor.channels.hop != nil ? "hop " + sensor.channels.channels.map(String.init).joined(separator: "/") : "channel \(sensor.channels.fixed.map(String.init) ?? "?")"
            perChannel[plan, default: 0] += 1
        }
        if !perChannel.isEmpty {
            out += "  " + perChannel.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "\n"
        }
        return out
    }
}

/// Writes `text` to `path`; false with errno set when it cannot.
private func writeText(_ text: String, to path: String) -> Bool {
    guard let file = fopen(path, "w") else { return false }
    let ok = fputs(text, file) >= 0
    return fclose(file) == 0 && ok
}
