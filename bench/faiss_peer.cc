#include "bench/faiss_peer.h"

#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <omp.h>

#include <cstring>

namespace hashwatch::bench {
namespace {

class Peer final : public FaissMultiHash {
 public:
  Peer(int tables, int bits) : index_(256, tables, bits) {
    omp_set_num_threads(1);  // one core, like the index under test
  }

  void Add(const std::vector<std::pair<uint64_t, matcher::PdqHash>>& entries)
      override {
    std::vector<uint8_t> codes(entries.size() * 32);
    for (size_t i = 0; i < entries.size(); ++i) {
      std::memcpy(&codes[i * 32], entries[i].second.words.data(), 32);
    }
    index_.add(static_cast<int64_t>(entries.size()), codes.data());
    if (!probed_ && !entries.empty()) {
      // FAISS's binary range search is documented as distance < radius;
      // check on a stored code rather than rely on it.
      index_.nflip = 0;
      faiss::RangeSearchResult r(1);
      index_.range_search(1, codes.data(), 0, &r);
      strict_ = r.lims[1] == 0;
      probed_ = true;
    }
  }

  std::vector<std::pair<int64_t, int>> RangeSearch(
      const matcher::PdqHash& query, int radius) override {
    uint8_t code[32];
    std::memcpy(code, query.words.data(), 32);
    index_.nflip = radius / (256 / index_.nhash);  // pigeonhole: exact
    faiss::RangeSearchResult r(1);
    index_.range_search(1, code, strict_ ? radius + 1 : radius, &r);
    std::vector<std::pair<int64_t, int>> out;
    for (size_t i = r.lims[0]; i < r.lims[1]; ++i) {
      out.emplace_back(r.labels[i], static_cast<int>(r.distances[i]));
    }
    return out;
  }

 private:
  faiss::IndexBinaryMultiHash index_;
  bool probed_ = false;
  bool strict_ = true;
};

}  // namespace

std::unique_ptr<FaissMultiHash> NewFaissMultiHash(int tables, int bits) {
  return std::make_unique<Peer>(tables, bits);
}

}  // namespace hashwatch::bench
