/*
 * The practical floor for any libpcap-based decoder: read every record of a
 * radiotap capture and touch only the radiotap length and the source MAC.
 *
 * Usage: pcap-floor FILE.pcap
 * Build: cc -O2 -o pcap-floor scripts/bench/pcap-floor.c -lpcap
 *
 * Prints "frames=N checksum=X" on stdout. The checksum folds the bytes read
 * so the compiler cannot drop the reads; it is not meant to be compared.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (p == NULL) {
        fprintf(stderr, "pcap-floor: pcap_open_offline(%s): %s\n", argv[1], err);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    uint64_t frames = 0, sum = 0, short_frames = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        frames++;
        if (h->caplen < 4) { short_frames++; continue; }
        uint32_t rtlen = (uint32_t)d[2] | ((uint32_t)d[3] << 8);   /* radiotap it_len, little-endian */
        if (h->caplen < rtlen + 16) { short_frames++; continue; }  /* addr2 = bytes 10..15 of the MAC header */
        uint64_t mac = 0;
        memcpy(&mac, d + rtlen + 10, 6);
        sum = (sum * 31) ^ mac ^ rtlen;
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap-floor: pcap_next_ex(%s): %s\n", argv[1], pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("frames=%llu checksum=%016llx short=%llu\n", (unsigned long long)frames,
           (unsigned long long)sum, (unsigned long long)short_frames);
    return 0;
}
