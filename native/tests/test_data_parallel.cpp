// Data-parallel training: ranks are threads here, each with its own model and c10d group over
// loopback, which is what separate processes or machines do too.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <future>

#include "data_parallel.h"
#include "helpers.h"
#include "test.h"
#include "trainer.h"

namespace {

// A port nothing listens on now (the OS's pick for an ephemeral bind).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  close(fd);
  return ntohs(a.sin_port);
}

rg::GroupOptions group(int port, int rank, int world, int timeout_ms = 30000) {
  rg::GroupOptions o;
  o.master_port = port;
  o.rank = rank;
  o.world_size = world;
  o.timeout = std::chrono::milliseconds(timeout_ms);
  return o;
}

// Runs fn(rank) on `world` threads at once; rethrows the first failure.
void on_ranks(int world, const std::function<void(int)>& fn) {
  std::vector<std::future<void>> ranks;
  for (int r = 0; r < world; ++r) ranks.push_back(std::async(std::launch::async, fn, r));
  for (auto& f : ranks) f.get();
}

// A global batch, the same on every rank; made before the ranks start (the global generator is
// not to be shared by threads).
std::pair<torch::Tensor, torch::Tensor> batch(int i, int64_t rows) {
  torch::manual_seed(1000 + i);
  auto clean = 0.3 * torch::randn({rows, 512});
  return {clean, clean + 0.1 * torch::randn({rows, 512})};
}

constexpr int kSteps = 50;

}  // namespace

TEST_CASE("data parallel: 2 ranks on loopback match one process on the global batch after 50 steps") {
  if (!rg::DataParallel::available()) return;
  const auto config = rgtest::tiny(rg::PriorKind::Learned);
  std::vector<std::pair<torch::Tensor, torch::Tensor>> batches;
  for (int i = 0; i < kSteps; ++i) batches.push_back(batch(i, 4));
  const auto odd = batch(0, 3);
  rg::Model single(config, torch::kCPU, 3);
  rg::StepStats last;
  for (const auto& [clean, noisy] : batches) last = rg::train_step(single, clean, noisy, 3e-3);
  const int port = free_port();
  std::vector<std::unique_ptr<rg::Model>> ranks(2);
  std::vector<rg::StepStats> stats(2);
  on_ranks(2, [&](int r) {
    rg::DataParallel dp(group(port, r, 2));
    // Rank 1 starts from other weights: joining gives it rank 0's.
    ranks[r] = std::make_unique<rg::Model>(config, torch::kCPU, r == 0 ? 3 : 99);
    dp.synchronise(*ranks[r]);
    for (const auto& [clean, noisy] : batches) stats[r] = rg::train_step(*ranks[r], clean, noisy, 3e-3, &dp);
    // A global batch that does not split over the ranks is refused on every rank, before any exchange.
    CHECK_THROWS_CODE(rg::train_step(*ranks[r], odd.first, odd.second, 3e-3, &dp), rg::kInput);
  });
  // Float sums over half batches differ from those over the whole in the last bits. Adam turns
  // such differences into whole steps where a gradient is near zero (m/√v is ±1 whatever its
  // size), so a few elements may differ by up to lr; on average they agree to float precision.
  const auto compare = [](const std::vector<torch::Tensor>& got, const std::vector<torch::Tensor>& want) {
    double worst = 0, total = 0;
    int64_t count = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      const auto d = (got[i] - want[i]).abs();
      worst = std::max(worst, d.max().item<double>());
      total += d.sum().item<double>(), count += d.numel();
    }
    CHECK(total / count < 1e-5);
    CHECK(worst < 3e-3);
  };
  for (int r = 0; r < 2; ++r) {
    CHECK(ranks[r]->train_state().step == kSteps);
    CHECK_CLOSE(stats[r].loss, last.loss, 1e-5 * std::fabs(last.loss));
    compare(ranks[r]->parameters(), single.parameters());
    compare(ranks[r]->train_state().ema, single.train_state().ema);
  }
  // The ranks agree with each other exactly: the same averaged gradients, the same updates.
  const auto a = ranks[0]->parameters(), b = ranks[1]->parameters();
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].equal(b[i]));
}

TEST_CASE("data parallel: ranks with different configurations all refuse to train") {
  if (!rg::DataParallel::available()) return;
  const int port = free_port();
  on_ranks(2, [&](int r) {
    rg::DataParallel dp(group(port, r, 2));
    auto config = rgtest::tiny(rg::PriorKind::Learned);
    if (r == 1) config.residual_layers = 5;
    rg::Model m(config, torch::kCPU, 1);
    CHECK_THROWS_CODE(dp.synchronise(m), rg::kInput);
  });
}

TEST_CASE("data parallel: bad options, and a rank whose peers never come, give typed errors") {
  CHECK_THROWS_CODE(rg::DataParallel(group(29500, 2, 2)), rg::DataParallel::available() ? rg::kInput : rg::kConfig);
  if (!rg::DataParallel::available()) return;
  CHECK_THROWS_CODE(rg::DataParallel(group(0, 0, 1)), rg::kInput);
  // Rank 1 of 2 with no rank 0 serving the store: a timeout, not a hang or a crash.
  CHECK_THROWS_CODE(rg::DataParallel(group(free_port(), 1, 2, 1000)), rg::kNative);
}
