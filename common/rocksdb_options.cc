#include "common/rocksdb_options.h"

namespace hashwatch {

void SetCommonDbOptions(rocksdb::DBOptions* options) {
  options->create_missing_column_families = true;
  options->paranoid_checks = true;
  options->info_log_level = rocksdb::InfoLogLevel::INFO_LEVEL;
}

}  // namespace hashwatch
