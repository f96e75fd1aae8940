#include "common/rocksdb_options.h"

namespace hashwatch {

void SetCommonDbOptions(rocksdb::DBOptions* options) {
  options->info_log_level = rocksdb::InfoLogLevel::INFO_LEVEL;
}

}  // namespace hashwatch
