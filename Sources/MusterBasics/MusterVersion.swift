/// The release, as `muster --version`, records, traces and reports say it.
public enum MusterVersion {
    public static let string = "0.1.0"
}
