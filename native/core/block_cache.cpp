#include "block_cache.h"

#include <c10/core/CPUAllocator.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <new>

namespace rg {

namespace {

// Every block starts with this header, one alignment unit before the data, so that a block is
// freed from its data pointer alone (LibTorch's raw_deallocate passes nothing else).
constexpr size_t kAlign = 64;
struct Header {
  size_t size;  // bytes of data: the size class, or the request if it is not cached
  BlockCache* owner;
};
static_assert(sizeof(Header) <= kAlign);

Header* header_of(void* data) {
  return reinterpret_cast<Header*>(static_cast<char*>(data) - kAlign);
}

void* new_block(size_t size, BlockCache* owner) {
  void* base = nullptr;
  if (posix_memalign(&base, kAlign, size + kAlign) != 0) throw std::bad_alloc();
  *static_cast<Header*>(base) = {size, owner};
  return static_cast<char*>(base) + kAlign;
}

void free_block(void* data) {
  std::free(header_of(data));
}

}  // namespace

BlockCache::BlockCache(size_t min_block_bytes, size_t max_cached_bytes)
    : min_block_(min_block_bytes), max_cached_(max_cached_bytes) {}

size_t BlockCache::size_class(size_t bytes) {
  if (bytes <= 4096) return 4096;
  size_t top = 4096;
  while (top < bytes) top <<= 1;
  const size_t step = top / 16;  // 8 classes between top/2 and top
  return (bytes + step - 1) / step * step;
}

c10::DataPtr BlockCache::allocate(size_t bytes) const {
  auto* self = const_cast<BlockCache*>(this);
  if (bytes < min_block_) {
    void* data = new_block(bytes, self);
    return {data, data, &BlockCache::give_back, c10::Device(c10::DeviceType::CPU)};
  }
  const size_t size = size_class(bytes);
  void* data = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      data = it->second.back();
      it->second.pop_back();
      cached_ -= size;
      ++hits_;
    } else {
      ++misses_;
    }
  }
  if (!data) data = new_block(size, self);
  return {data, data, &BlockCache::give_back, c10::Device(c10::DeviceType::CPU)};
}

void BlockCache::give_back(void* data) {
  if (!data) return;
  const Header* h = header_of(data);
  h->owner->put(data, h->size);
}

void BlockCache::put(void* data, size_t size) {
  if (size < min_block_ || size > max_cached_) {
    free_block(data);
    return;
  }
  std::vector<void*> evicted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Over the bound the whole cache goes: memory stays bounded, and a workload whose sizes
    // changed stops holding blocks of the old sizes. A steady workload never reaches it.
    if (cached_ + size > max_cached_) {
      for (auto& entry : free_) evicted.insert(evicted.end(), entry.second.begin(), entry.second.end());
      free_.clear();
      cached_ = 0;
    }
    free_[size].push_back(data);
    cached_ += size;
  }
  for (void* d : evicted) free_block(d);
}

void BlockCache::release() {
  std::vector<void*> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& entry : free_) all.insert(all.end(), entry.second.begin(), entry.second.end());
    free_.clear();
    cached_ = 0;
  }
  for (void* d : all) free_block(d);
}

BlockCacheStats BlockCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  BlockCacheStats s;
  s.hits = hits_;
  s.misses = misses_;
  s.cached_bytes = static_cast<int64_t>(cached_);
  s.max_cached_bytes = static_cast<int64_t>(max_cached_);
  s.min_block_bytes = static_cast<int64_t>(min_block_);
  return s;
}

namespace {

BlockCache*& installed() {
  static BlockCache* cache = nullptr;
  return cache;
}

size_t default_bound() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const size_t quarter = pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) / 4 : 0;
  return std::min<size_t>(quarter > 0 ? quarter : size_t{1} << 30, size_t{4} << 30);
}

}  // namespace

BlockCache& install_block_cache(size_t min_block_bytes, size_t max_cached_bytes) {
  static std::once_flag once;
  std::call_once(once, [&] {
    // Never destroyed: tensors freed while the process exits still return their blocks to it.
    installed() = new BlockCache(min_block_bytes, max_cached_bytes > 0 ? max_cached_bytes : default_bound());
    c10::SetCPUAllocator(installed(), /*priority=*/1);
  });
  return *installed();
}

BlockCache* installed_block_cache() {
  return installed();
}

}  // namespace rg
