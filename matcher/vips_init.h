// Starting libvips, once per process, with hashwatch's settings.
//
// VIPS_INIT must not run on two threads at once (it registers GLib types,
// and a race crashes inside GLib's hash tables), so every part of hashwatch
// that uses libvips (the decoder, the evaluation tools, test helpers)
// starts it through this one function and its one once-flag.
#ifndef HASHWATCH_MATCHER_VIPS_INIT_H_
#define HASHWATCH_MATCHER_VIPS_INIT_H_

namespace hashwatch::matcher {

// Starts libvips if it has not been: one worker thread per operation (we
// parallelise across images), its operation cache off (it would keep
// decoded uploads in memory), its warnings dropped (problems come back as
// statuses). Thread-safe.
void InitVips();

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_VIPS_INIT_H_
