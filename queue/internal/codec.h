// The queue's names for the shared storage encodings (private): records in
// the record codec (common/record_codec.h), keys in the ordered key
// encoding (common/ordered_key.h). Layouts are in schema.h and records.h.
#ifndef HASHWATCH_QUEUE_INTERNAL_CODEC_H_
#define HASHWATCH_QUEUE_INTERNAL_CODEC_H_

#include "common/ordered_key.h"
#include "common/record_codec.h"

namespace hashwatch::queue::internal {

using Encoder = ::hashwatch::RecordEncoder;
using Decoder = ::hashwatch::RecordDecoder;
using ::hashwatch::AppendOrderedInt64;
using ::hashwatch::AppendOrderedTime;
using ::hashwatch::ReadOrderedInt64;
using ::hashwatch::ReadOrderedTime;

}  // namespace hashwatch::queue::internal

#endif  // HASHWATCH_QUEUE_INTERNAL_CODEC_H_
