// A model's own thread: torch work never runs on the JS thread nor on libuv's pool, where a
// long job would delay every fs call of the process. Jobs run one at a time, in order.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace rgaddon {

class Executor : public std::enable_shared_from_this<Executor> {
 public:
  static std::shared_ptr<Executor> start();
  void post(std::function<void()> job);
  // Runs the queued jobs, then ends the thread without blocking the caller.
  void stop();
  // Blocks until no job is queued or running.
  void wait_idle();

 private:
  Executor() = default;
  void run();
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false, busy_ = false;
};

}  // namespace rgaddon
