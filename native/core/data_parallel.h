// Data-parallel training over LibTorch's c10d with the Gloo backend (CPU and CUDA tensors): each
// of W ranks takes one equal slice of every global batch and the gradients are averaged before
// the optimiser step, so W ranks reproduce one process training on the whole batch (up to float
// summation order). A group spans processes or machines; rank 0 serves the rendezvous store.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace rg {

class Model;

struct GroupOptions {
  std::string master_addr = "127.0.0.1";  // rank 0's address, reachable by every rank
  int master_port = 29500;
  int rank = 0, world_size = 1;
  std::chrono::milliseconds timeout{120000};  // joining, and each collective after
};

class DataParallel {
 public:
  // Joins the group; blocks until every rank has joined. Throws rg::Error: kInput for bad options,
  // kNative when the store or a peer cannot be reached within the timeout.
  explicit DataParallel(const GroupOptions& options);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const;
  int world_size() const;
  // Gives every rank rank 0's weights, optimiser and EMA state, step count and noise generator.
  // Throws kInput on every rank when any rank's model has another configuration.
  void synchronise(Model& model);
  // Replaces each tensor (float32, all on one device) by its mean over the ranks: one all-reduce.
  void average(const std::vector<torch::Tensor>& tensors);

  // Whether this build has the Gloo backend (LibTorch built with it and its headers found).
  static bool available();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rg
