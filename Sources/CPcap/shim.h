#ifndef MALLGATE_CPCAP_SHIM_H
#define MALLGATE_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
