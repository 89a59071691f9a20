// A caching CPU allocator for LibTorch. The networks allocate and free buffers of tens of
// megabytes at every layer; glibc's malloc hands blocks that large to mmap and back to the kernel
// on free, so every layer pays fresh page faults (speech restored 1.5–1.7× slower than with
// tcmalloc). This allocator keeps freed large blocks, by size class, for the next request of that
// class, up to a bound on the bytes it holds. Installed once per process with
// install_block_cache(); tensors allocated before keep their own deleters, so installing it at any
// time is safe.
#pragma once
#include <c10/core/Allocator.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace rg {

struct BlockCacheStats {
  int64_t hits = 0, misses = 0;  // large requests served from the cache, or not
  int64_t cached_bytes = 0;      // held for reuse now
  int64_t max_cached_bytes = 0;  // the bound
  int64_t min_block_bytes = 0;   // smaller requests are never cached
};

class BlockCache final : public c10::Allocator {
 public:
  BlockCache(size_t min_block_bytes, size_t max_cached_bytes);
  ~BlockCache() override { release(); }  // blocks still in use must not outlive it (they hold its address)
  c10::DataPtr allocate(size_t bytes) const override;
  c10::DeleterFnPtr raw_deleter() const override { return &BlockCache::give_back; }
  BlockCacheStats stats() const;
  void release();  // frees every cached block

  // The size class of a large request: the next of 8 steps per power of two (≤ 12.5 % waste).
  static size_t size_class(size_t bytes);

 private:
  static void give_back(void* data);
  void put(void* data, size_t size);

  size_t min_block_;
  size_t max_cached_;
  mutable std::mutex mutex_;
  mutable std::map<size_t, std::vector<void*>> free_;  // size class → cached blocks' data
  mutable size_t cached_ = 0;
  mutable int64_t hits_ = 0, misses_ = 0;
};

// Makes a process-wide BlockCache LibTorch's CPU allocator (once; later calls return the same).
// max_cached_bytes 0 chooses a quarter of physical memory, at most 4 GiB.
BlockCache& install_block_cache(size_t min_block_bytes = size_t{1} << 20, size_t max_cached_bytes = 0);
// The installed cache, or nullptr.
BlockCache* installed_block_cache();

}  // namespace rg
