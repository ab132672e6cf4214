/// Placeholder: windows, features, models, training and smoothing (issue 4).
public enum LocalizeInfo {
    public static let modelFormatVersion = 1
}
