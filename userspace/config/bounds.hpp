#pragma once
// Bounds on what the keepalived.conf reader takes in (docs/bounds.md has the table). Each
// one keeps a hostile or broken file from crashing or stalling `-t`, start and reload.

#include <cstddef>

#include "xvrrp/abi.h"

namespace xvrrp::config::bounds {

// keepalived 2.2.7 reads a line into a 1024-byte buffer and parses the rest as a new line;
// measured: 1023 bytes work, anything past them is misread (`-t` exits 5).
inline constexpr size_t kMaxLineBytes = 1023;
// `include` nesting. keepalived has none (it recurses until EMFILE on a loop).
inline constexpr int kMaxIncludeDepth = 32;
// Files read for one configuration, the main file included.
inline constexpr size_t kMaxFiles = 4096;
// Bytes of one file and of all files together (includes expanded), and the words and
// braces in them: 4 KiB and 256 words per instance the kernel maps hold. A real instance
// takes about 250 bytes and 40 words; all the VIPs and peers the maps hold add some 70000
// words. The words bound the time and memory of a hostile file (xvrrp-bench-config).
inline constexpr size_t kMaxTotalBytes = size_t{XV_MAX_INSTANCES} << 12;
inline constexpr size_t kMaxFileBytes = kMaxTotalBytes;
inline constexpr size_t kMaxWords = size_t{XV_MAX_INSTANCES} << 8;
// Patterns one include word expands to by csh braces ({a,b}{c,d} is 4).
inline constexpr size_t kMaxBraceExpansions = 256;
// Directory entries one include word may make glob(3) read.
inline constexpr size_t kMaxGlobEntries = 100000;
// { } blocks inside each other (keepalived's own grammar goes 4 deep).
inline constexpr int kMaxBlockDepth = 32;
// Expansion (keepalived.conf(5) ADVANCED CONFIGURATION): $PARAM substitutions inside each
// other, multiline values and ~SEQ/~LST blocks nest at most this deep; a $X that refers to
// itself is refused before (keepalived 2.2.7 loops forever on `$X=$X`).
inline constexpr int kMaxExpansionDepth = 32;
// Substitutions made, and lines that multiline values and ~SEQ/~LST produce, per load: as
// many as the words bound, so `~SEQ(I, 1, 1000000000)` or doubling values end quickly.
inline constexpr size_t kMaxSubstitutions = kMaxWords;
inline constexpr size_t kMaxExpandedLines = kMaxWords;
// Keywords longer than this get no "did you mean" (known keywords are far shorter).
inline constexpr size_t kMaxSuggestLength = 64;
// Diagnostics kept for one load; more are counted in a last one.
inline constexpr size_t kMaxDiagnostics = 1000;

}  // namespace xvrrp::config::bounds
