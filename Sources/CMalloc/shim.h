#ifndef MALLGATE_CMALLOC_SHIM_H
#define MALLGATE_CMALLOC_SHIM_H
/// glibc's malloc.h: Swift's Glibc module leaves out mallopt.
#include <malloc.h>
#endif
