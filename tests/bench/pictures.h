// Distinct synthetic pictures for the bench tests: seeded shapes on a
// seeded gradient, so that different seeds give unrelated PDQ hashes and
// every picture has a high PDQ quality.
#ifndef HASHWATCH_TESTS_BENCH_PICTURES_H_
#define HASHWATCH_TESTS_BENCH_PICTURES_H_

#include <string>

namespace hashwatch::testing {

// A width x height RGB picture encoded as `suffix` (".jpg", ".png").
std::string MakePicture(int seed, int width, int height,
                        const std::string& suffix = ".jpg");

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_BENCH_PICTURES_H_
