internal import CPcap

/// The libpcap version string this build links against, for `--version` and bug reports.
public func libpcapVersion() -> String {
    String(cString: pcap_lib_version())
}
