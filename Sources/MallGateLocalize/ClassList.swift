public import MallGateVenue

/// The classes a model tells apart, each a tuple of label values.
///
/// A class is the combination of the label columns it was trained on (building + floor in
/// UJIIndoorLoc, one room in the UCI set), so accuracy can be reported per label: a model
/// that picks the wrong room on the right floor still gets the floor right. For a venue, a
/// class is a zone and its other labels (floor, kind) follow from the layout.
public struct ClassList: Sendable, Equatable {
    /// Names of the label parts, e.g. `["BUILDINGID", "FLOOR"]` or `["zone", "floor", "kind"]`.
    public var labelNames: [String]
    /// Per class, one value per label name.
    public var classes: [[String]]

    public init(labelNames: [String], classes: [[String]]) {
        precondition(classes.allSatisfy { $0.count == labelNames.count }, "every class has one value per label")
        self.labelNames = labelNames
        self.classes = classes
    }

    /// The zones of `venue` as classes, with their floor and kind as further labels, in the
    /// venue's zone order.
    public init(venue: Venue) {
        self.init(labelNames: ["zone", "floor", "kind"], classes: venue.zones.map { [$0.id, $0.floor, $0.kind.rawValue] })
    }

    public var count: Int { classes.count }

    /// The class whose label values are `parts`, if any.
    public func index(of parts: [String]) -> Int? {
        classes.firstIndex(of: parts)
    }

    /// A class's label values joined by `/`, for reports.
    public func name(_ index: Int) -> String {
        classes[index].joined(separator: "/")
    }

    /// Builds the class list from the label tuples of a dataset (classes sorted, so the same
    /// data gives the same list) and the class index of each row.
    public static func from(labelNames: [String], rows: [[String]]) -> (ClassList, [Int]) {
        let unique = Set(rows).sorted { $0.lexicographicallyPrecedes($1, by: ClassList.labelOrder) }
        var indexOf: [[String]: Int] = [:]
        for (i, c) in unique.enumerated() { indexOf[c] = i }
        return (ClassList(labelNames: labelNames, classes: unique), rows.map { indexOf[$0]! })
    }

    /// Numbers in numeric order ("2" before "10"), other text alphabetically.
    static func labelOrder(_ a: String, _ b: String) -> Bool {
        if let x = Double(a), let y = Double(b) { return x < y }
        return a < b
    }
}
