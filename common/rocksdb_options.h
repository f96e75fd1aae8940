// Database options every hashwatch RocksDB database shares (matcher/,
// queue/, report/, review_api/ internals; public headers never include
// RocksDB).
#ifndef HASHWATCH_COMMON_ROCKSDB_OPTIONS_H_
#define HASHWATCH_COMMON_ROCKSDB_OPTIONS_H_

#include "rocksdb/options.h"

namespace hashwatch {

// Sets what no hashwatch database should differ in: column families are
// created when missing (each store declares its own), reads check
// checksums strictly (paranoid_checks), and the info log is at INFO level.
// Debian's librocksdb is built without NDEBUG, so its LOG defaults to DEBUG
// level, which writes a line for every WAL sync: 100,000 lines in one queue
// benchmark run, each a write under RocksDB's logger lock on the path every
// durable call waits for.
void SetCommonDbOptions(rocksdb::DBOptions* options);

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_ROCKSDB_OPTIONS_H_
