#include "executor.h"

namespace rgaddon {

std::shared_ptr<Executor> Executor::start() {
  std::shared_ptr<Executor> e(new Executor());
  // The thread holds its own reference, so the executor outlives the JS object that started it.
  std::thread([self = e] { self->run(); }).detach();
  return e;
}

void Executor::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void Executor::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
}

void Executor::wait_idle() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return jobs_.empty() && !busy_; });
}

void Executor::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      busy_ = false;
      if (jobs_.empty()) idle_.notify_all();
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      busy_ = true;
    }
    job();
  }
}

}  // namespace rgaddon
