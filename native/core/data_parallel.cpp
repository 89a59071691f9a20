#include "data_parallel.h"

#include <cstdlib>
#include <functional>

#include "error.h"
#include "json.h"
#include "model.h"

#ifdef RG_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace rg {

#ifdef RG_HAVE_GLOO

namespace {

// Runs a collective, turning c10d's failures (a peer gone, a timeout) into typed errors.
template <typename F>
void collective(const char* what, F&& f) {
  try {
    f();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(kNative, std::string("data-parallel ") + what + " failed: " + e.what());
  }
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master) {
  // Gloo's own convention for picking the interface on multi-homed machines.
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (master == "127.0.0.1" || master == "localhost")
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

struct DataParallel::Impl {
  GroupOptions options;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;

  void broadcast(torch::Tensor& t) {
    std::vector<at::Tensor> v{t};
    collective("broadcast", [&] { group->broadcast(v)->wait(); });
  }
  void sum(torch::Tensor& t) {
    std::vector<at::Tensor> v{t};
    collective("all-reduce", [&] { group->allreduce(v)->wait(); });
  }
  // Applies `op` to the tensors concatenated into one buffer, then copies the result back.
  void flat(const std::vector<torch::Tensor>& tensors, const std::function<void(torch::Tensor&)>& op) {
    if (tensors.empty()) return;
    std::vector<torch::Tensor> views;
    for (const auto& t : tensors) views.push_back(t.detach().reshape(-1));
    auto buffer = torch::cat(views);
    op(buffer);
    torch::NoGradGuard no_grad;
    int64_t at = 0;
    for (const auto& t : tensors) {
      t.detach().view_as(t).copy_(buffer.narrow(0, at, t.numel()).view_as(t));
      at += t.numel();
    }
  }
};

DataParallel::DataParallel(const GroupOptions& o) : impl_(std::make_unique<Impl>()) {
  if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size)
    throw Error(kInput,
                "rank " + std::to_string(o.rank) + " is not in [0, world size " + std::to_string(o.world_size) + ")");
  if (o.master_port < 1 || o.master_port > 65535) throw Error(kInput, "master port must be in [1, 65535]");
  if (o.master_addr.empty()) throw Error(kInput, "master address is empty");
  impl_->options = o;
  collective("rendezvous", [&] {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(o.master_port);
    so.isServer = o.rank == 0;
    so.numWorkers = static_cast<size_t>(o.world_size);
    so.waitWorkers = true;
    so.timeout = o.timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
    auto go = c10d::ProcessGroupGloo::Options::create();
    go->timeout = o.timeout;
    go->devices.push_back(gloo_device(o.master_addr));
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, o.rank, o.world_size, go);
  });
}

DataParallel::~DataParallel() = default;

int DataParallel::rank() const {
  return impl_->options.rank;
}
int DataParallel::world_size() const {
  return impl_->options.world_size;
}
bool DataParallel::available() {
  return true;
}

void DataParallel::synchronise(Model& model) {
  // Configurations are compared by a hash of their JSON: every rank learns whether any differs.
  const auto text = json::dump(config_to_json(model.config()));
  auto hash = torch::tensor({static_cast<int64_t>(std::hash<std::string>{}(text) >> 1)}, torch::kLong);
  auto root_hash = hash.clone();
  impl_->broadcast(root_hash);
  auto differs = torch::tensor({static_cast<int64_t>(!root_hash.equal(hash))}, torch::kLong);
  impl_->sum(differs);
  if (differs.item<int64_t>() > 0)
    throw Error(kInput,
                "the ranks' models have different configurations: start every rank from the same preset or checkpoint");

  auto& s = model.train_state();
  auto tensors = model.parameters();
  for (auto* group : {&s.adam_m, &s.adam_v, &s.ema}) tensors.insert(tensors.end(), group->begin(), group->end());
  impl_->flat(tensors, [&](torch::Tensor& b) { impl_->broadcast(b); });
  auto step = torch::tensor({s.step}, torch::kLong);
  impl_->broadcast(step);
  s.step = step.item<int64_t>();
  auto generator = model.generator().get_state();
  impl_->broadcast(generator);
  model.generator().set_state(generator);
}

void DataParallel::average(const std::vector<torch::Tensor>& tensors) {
  const double world = world_size();
  impl_->flat(tensors, [&](torch::Tensor& b) {
    impl_->sum(b);
    b.div_(world);
  });
}

#else  // built without Gloo

struct DataParallel::Impl {};

DataParallel::DataParallel(const GroupOptions&) {
  throw Error(kConfig, "this build has no c10d Gloo backend: install Gloo's headers (libgloo-dev) and rebuild");
}
DataParallel::~DataParallel() = default;
int DataParallel::rank() const {
  return 0;
}
int DataParallel::world_size() const {
  return 1;
}
bool DataParallel::available() {
  return false;
}
void DataParallel::synchronise(Model&) {}
void DataParallel::average(const std::vector<torch::Tensor>&) {}

#endif

}  // namespace rg
