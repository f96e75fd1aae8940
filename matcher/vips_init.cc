#include "matcher/vips_init.h"

#include <vips/vips.h>

#include <mutex>

namespace hashwatch::matcher {
namespace {

void DropVipsWarning(const gchar*, GLogLevelFlags, const gchar*, gpointer) {}

}  // namespace

void InitVips() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("hashwatch") != 0) vips_error_clear();
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, DropVipsWarning, nullptr);
  });
}

}  // namespace hashwatch::matcher
