public import MallGateVenue

/// Placeholder: the venue simulator (issue 3) writes one capture per sensor plus ground truth.
public enum SimulatorInfo {
    public static let formatVersion = 1
}
