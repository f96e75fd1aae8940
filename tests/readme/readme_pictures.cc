// Writes the pictures the README's transcripts use into a folder: benign,
// synthetic, each seed unrelated to the others (tests/bench/pictures.h).
//
//   readme_pictures DIR NAME=SEED [NAME=SEED ...]
//
// NAME ends in .jpg or .png (the encoding); pictures are 640x480.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "tests/bench/pictures.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: readme_pictures DIR NAME=SEED...\n");
    return 2;
  }
  const std::string dir = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    int seed = 0;
    if (eq == std::string::npos ||
        !absl::SimpleAtoi(arg.substr(eq + 1), &seed)) {
      std::fprintf(stderr, "readme_pictures: %s is not NAME=SEED\n",
                   arg.c_str());
      return 2;
    }
    const std::string name = arg.substr(0, eq);
    const std::string suffix = absl::EndsWith(name, ".png") ? ".png" : ".jpg";
    const std::string bytes =
        hashwatch::testing::MakePicture(seed, 640, 480, suffix);
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out << bytes;
    if (bytes.empty() || !out) {
      std::fprintf(stderr, "readme_pictures: could not write %s\n",
                   name.c_str());
      return 1;
    }
  }
  return 0;
}
