#include "matcher/vips_init.h"

#include <vips/vips.h>
// After vips.h, which it needs; not included by it.
#include <vips/vector.h>

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
    // liborc's generated code (Debian 12's orc 0.4.33) crashes when
    // convolutions such as the preview blur run on several threads at once;
    // libvips' C paths are used instead.
    vips_vector_set_enabled(FALSE);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, DropVipsWarning, nullptr);
  });
}

}  // namespace hashwatch::matcher
