# RouterOS script for a MikroTik access point used as a remote sensor: its radio sniffs in
# monitor mode and streams every frame over TZSP (UDP 37008) to the gateway, which names the
# sensor by the sender's address (see mallgate.toml). Replace 192.0.2.10 with the gateway's
# address and run: /import mikrotik-sniffer.rsc
/interface wireless sniffer set channel-time=200ms multiple-channels=yes only-headers=no \
    receive-errors=no streaming-enabled=yes streaming-server=192.0.2.10 streaming-max-rate=0
/interface wireless sniffer start
