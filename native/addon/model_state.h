// What the JS handle of a model and its jobs in flight share (the jobs may outlive the handle).
#pragma once
#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "data_parallel.h"
#include "model.h"

namespace rgaddon {

struct ModelState {
  std::unique_ptr<rg::Model> model;
  std::unique_ptr<rg::DataParallel> group;  // set by joinGroup: training steps average over it
  int threads = 1;
  std::mutex cancel_mutex;
  std::map<int64_t, std::shared_ptr<std::atomic<bool>>> cancels;  // by job id
};

}  // namespace rgaddon
