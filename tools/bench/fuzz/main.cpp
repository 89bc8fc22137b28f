// xvrrp-bench-fuzz: a long differential fuzz campaign (issue 9, "Fuzzing"). Random and
// mutated frames (and the seed corpus, mutated) run through the real xv_rx with
// bpf_prog_test_run_opts and through the reference model (tests/support/frame_model.hpp);
// prints JSON: frames, classes (documented or not), the seed, and an example of each
// undocumented class. Exits 1 when an undocumented disagreement was found.
//   xvrrp-bench-fuzz [--frames N] [--seed S] [--corpus DIR] [--save DIR] [--write DIR]
// --save keeps one input per undocumented class; --write keeps every frame (seed sets).
// Needs root; runs on the loopback device through test_run, attaches nothing.
#include <net/if.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "support/differential.hpp"

namespace {

using namespace xvrrp;
using namespace xvrrp::test;

std::string hex(const Bytes& b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (uint8_t x : b) {
        s += d[x >> 4];
        s += d[x & 15];
    }
    return s;
}

std::vector<Bytes> readCorpus(const std::string& dir) {
    std::vector<Bytes> out;
    if (dir.empty() || !std::filesystem::is_directory(dir)) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(e.path(), std::ios::binary);
        out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t frames = 100000, seed = static_cast<uint64_t>(time(nullptr));
    std::string corpus, save, write;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--frames")
            frames = std::strtoull(argv[i + 1], nullptr, 10);
        else if (a == "--seed")
            seed = std::strtoull(argv[i + 1], nullptr, 10);
        else if (a == "--corpus")
            corpus = argv[i + 1];
        else if (a == "--save")
            save = argv[i + 1];
        else if (a == "--write")
            write = argv[i + 1];
        else {
            std::fprintf(stderr, "xvrrp-bench-fuzz: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (geteuid() != 0) {
        std::fprintf(stderr, "xvrrp-bench-fuzz: needs root (bpf_prog_load)\n");
        return 1;
    }
    try {
        auto dp = dataplane::Dataplane::open(dataplane::DataplaneOptions{.pin_root = ""});
        XdpDifferential diff(*dp, static_cast<int>(if_nametoindex("lo")), standardInstances());
        const std::vector<Bytes> seeds = readCorpus(corpus);
        std::mt19937_64 rng(seed);
        std::map<std::string, uint64_t> classes;
        std::map<std::string, std::string> examples;
        const auto t0 = std::chrono::steady_clock::now();
        for (uint64_t n = 0; n < frames; ++n) {
            Bytes f = !seeds.empty() && rng() % 4 == 0 ? seeds[rng() % seeds.size()]
                                                       : randomFrame(rng, diff.instances());
            if (rng() % 2) f = mutate(std::move(f), rng);
            const DiffResult r = diff.run(f);
            ++classes[r.cls];
            if (!write.empty()) {
                char name[32];
                std::snprintf(name, sizeof(name), "/s%llu-%06llu", (unsigned long long)seed,
                              (unsigned long long)n);
                std::ofstream(write + name, std::ios::binary)
                    .write(reinterpret_cast<const char*>(f.data()),
                           static_cast<std::streamsize>(f.size()));
            }
            if (!r.agree && !documentedReason(r.cls) && !examples.count(r.cls)) {
                examples[r.cls] = hex(f);
                if (!save.empty()) {
                    std::string name = r.cls;
                    for (char& c : name)
                        if (c == ':') c = '-';
                    std::ofstream(save + "/" + name, std::ios::binary)
                        .write(reinterpret_cast<const char*>(f.data()),
                               static_cast<std::streamsize>(f.size()));
                }
            }
        }
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        nlohmann::json out;
        out["bench"] = "fuzz";
        out["seed"] = seed;
        out["frames"] = frames;
        out["seconds"] = secs;
        out["frames_per_s"] = secs > 0 ? double(frames) / secs : 0.0;
        out["corpus_seeds"] = seeds.size();
        uint64_t undocumented = 0;
        for (const auto& [cls, count] : classes) {
            const char* why = documentedReason(cls);
            const bool agree = cls.rfind("agree", 0) == 0 || cls == "skip_short";
            out["classes"][cls] = {{"frames", count}, {"agree", agree}};
            if (why) out["classes"][cls]["documented"] = why;
            if (!agree && !why) undocumented += count;
        }
        out["undocumented_disagreements"] = undocumented;
        out["examples"] = examples;
        std::cout << out.dump(2) << "\n";
        return undocumented ? 1 : 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xvrrp-bench-fuzz: %s\n", e.what());
        return 1;
    }
}
