// Replays fuzz inputs without libFuzzer: every file named on the command line (directories are
// walked) goes once through LLVMFuzzerTestOneInput. A crash or sanitizer report fails the run;
// an empty corpus is an error, so a missing seed directory cannot pass silently.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool replayFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
        return false;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    size_t files = 0;
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path arg(argv[i]);
        if (std::filesystem::is_directory(arg)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(arg))
                if (e.is_regular_file()) ok &= replayFile(e.path()), ++files;
        } else {
            ok &= replayFile(arg);
            ++files;
        }
    }
    if (files == 0) {
        std::fprintf(stderr, "replay: no inputs (usage: %s FILE|DIR...)\n", argv[0]);
        return 2;
    }
    std::printf("replay: %zu input(s) ran\n", files);
    return ok ? 0 : 1;
}
