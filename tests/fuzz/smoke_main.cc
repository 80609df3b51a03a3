// A driver that runs a libFuzzer entry point without libFuzzer, so every
// build (gcc included, and the ASan/UBSan pass) exercises the fuzz targets:
// each file named on the command line (seed corpus, fixtures), then
// deterministic mutations of them and random inputs. Bounded: at most
// --runs inputs of at most 4096 bytes.
//   NAME_smoke [--runs=N] FILE...
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void Run(const std::string& input) {
  // A fresh heap copy so ASan sees reads past the end.
  std::vector<uint8_t> buf(input.begin(), input.end());
  LLVMFuzzerTestOneInput(buf.data(), buf.size());
}

}  // namespace

int main(int argc, char** argv) {
  long runs = 20000;
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--runs=", 7) == 0) {
      runs = std::atol(argv[i] + 7);
      continue;
    }
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    if (s.size() > (1 << 20)) s.resize(1 << 20);
    seeds.push_back(s);
  }
  for (const auto& s : seeds) Run(s);
  std::mt19937_64 rng(12345);
  for (long n = 0; n < runs; ++n) {
    std::string input;
    if (!seeds.empty() && n % 4 != 0) {
      // Mutate a slice of a seed: flip, insert, delete, truncate.
      const std::string& seed = seeds[rng() % seeds.size()];
      size_t start = seed.empty() ? 0 : rng() % seed.size();
      input = seed.substr(start, 1 + rng() % 4096);
      for (int m = 0, k = 1 + static_cast<int>(rng() % 8); m < k && !input.empty(); ++m) {
        size_t at = rng() % input.size();
        switch (rng() % 4) {
          case 0: input[at] = static_cast<char>(rng()); break;
          case 1: input.insert(at, 1, static_cast<char>(rng())); break;
          case 2: input.erase(at, 1); break;
          case 3: input.resize(at); break;
        }
      }
    } else {
      input.resize(rng() % 512);
      for (auto& c : input) c = static_cast<char>(rng());
    }
    Run(input);
  }
  std::printf("%zu seeds, %ld generated inputs: no crash\n", seeds.size(), runs);
  return 0;
}
