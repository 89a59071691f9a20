// The caching CPU allocator: size classes, reuse, its bound, and LibTorch allocating through it.
#include <torch/torch.h>

#include "block_cache.h"
#include "test.h"

TEST_CASE("block cache: size classes cover the request with at most 12.5 % waste, in order") {
  size_t last = 0;
  for (size_t bytes = 1; bytes < (size_t{1} << 34); bytes = bytes * 5 / 4 + 1) {
    const size_t c = rg::BlockCache::size_class(bytes);
    CHECK(c >= bytes);
    if (bytes > 4096) CHECK(c - bytes <= bytes / 8);
    CHECK(c >= last);
    last = c;
  }
  CHECK(rg::BlockCache::size_class(3 << 20) == size_t{3} << 20);  // already a class: no rounding
}

TEST_CASE("block cache: a freed large block serves the next request of its class; small ones are not kept") {
  rg::BlockCache cache(1 << 20, 64 << 20);
  void* first = nullptr;
  {
    auto a = cache.allocate(3'000'000);
    first = a.get();
    static_cast<char*>(a.get())[2'999'999] = 1;  // the whole request is writable
  }
  CHECK(cache.stats().cached_bytes == static_cast<int64_t>(rg::BlockCache::size_class(3'000'000)));
  {
    auto b = cache.allocate(2'990'000);  // same class
    CHECK(b.get() == first);
    CHECK(cache.stats().hits == 1 && cache.stats().misses == 1);
    CHECK(cache.stats().cached_bytes == 0);
  }
  { auto small = cache.allocate(1000); }
  CHECK(cache.stats().cached_bytes == static_cast<int64_t>(rg::BlockCache::size_class(3'000'000)));
  void* raw = cache.raw_allocate(5'000'000);  // LibTorch's raw interface frees by pointer alone
  cache.raw_deallocate(raw);
  cache.release();
  CHECK(cache.stats().cached_bytes == 0);
}

TEST_CASE("block cache: the bytes it holds never pass its bound") {
  rg::BlockCache cache(1 << 20, 7 << 20);
  {
    auto a = cache.allocate(3 << 20), b = cache.allocate(3 << 20), c = cache.allocate(3 << 20);
  }  // three 3 MiB blocks freed into a 7 MiB cache: the third put flushes the first two
  CHECK(cache.stats().cached_bytes <= 7 << 20);
  CHECK(cache.stats().cached_bytes == 3 << 20);
  { auto big = cache.allocate(8 << 20); }  // larger than the bound: never kept
  CHECK(cache.stats().cached_bytes <= 7 << 20);
}

TEST_CASE("block cache: once installed, LibTorch's CPU tensors reuse its blocks") {
  auto& cache = rg::install_block_cache();
  CHECK(&rg::install_block_cache() == &cache && rg::installed_block_cache() == &cache);
  const auto before = cache.stats();
  for (int i = 0; i < 5; ++i) {
    auto t = torch::ones({1 << 20});  // 4 MiB
    CHECK(t.sum().item<double>() == 1 << 20);
  }
  const auto after = cache.stats();
  CHECK(after.hits - before.hits >= 4);
  CHECK(after.cached_bytes <= after.max_cached_bytes);
}
