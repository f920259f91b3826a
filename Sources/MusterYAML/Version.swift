internal import CYAML

public enum YAMLLibrary {
    /// The libyaml version linked in, for `--version` reports.
    public static var version: String { String(cString: yaml_get_version_string()) }
}
