// rg_train: trains a model from raw audio files with no Node, for GPU machines and long runs.
// Speech and noise are 16-bit little-endian mono PCM, concatenated; training mixes random crops at
// random SNRs. Every --eval-every steps a fixed test set is restored with the 6- and 3-step
// schedules and scored by SI-SDR (DIR/log.csv), and DIR/model.safetensors (and its
// weights alone, DIR/weights.safetensors) is saved atomically.
// At the end the restored test set is written as 16-bit PCM like the inputs (DIR/restored6.i16,
// DIR/restored3.i16) for other metrics; with --keep-restored 1 also the 6-step restorations of
// every evaluation (DIR/restored6-STEP.i16), to score other metrics against training steps.
// --max-seconds ends training early, as if at its last step; --init CHECKPOINT goes on training a saved model (its
// config; a fresh optimiser for weights alone). --resume 1 continues the run in DIR itself, across sessions: it loads
// DIR/model.safetensors, counts --steps from the step the model has reached, appends to DIR/log.csv with its clocks
// continued, and draws new mixtures (the mixer's seed moves on with the step). log.csv's cpu_seconds is the
// process's CPU time, the fair budget when runs share cores. The test set restores --eval-batch items at a time.
// --eval-fast3 0 skips the 3-step schedule at evaluations (its column is then nan), a third of their cost.
// SIGTERM, SIGINT or SIGUSR1 end training after the current step as --max-seconds does: the last step is evaluated and
// saved. Mixtures take SNRs uniform in
// [--snr-min, --snr-max] dB. Data-parallel over processes or machines: --world-size W --rank R --master HOST:PORT on
// each rank
// (--batch is the global batch); rank 0 alone evaluates, logs and saves; the others wait for it.
#include <ATen/Context.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "args.h"
#include "checkpoint.h"
#include "data_parallel.h"
#include "error.h"
#include "json.h"
#include "model.h"
#include "sampler.h"
#include "threads.h"
#include "trainer.h"

namespace {

std::vector<float> read_pcm16(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw rg::Error(rg::kIo, "cannot open " + path);
  f.seekg(0, std::ios::end);
  const auto bytes = static_cast<size_t>(f.tellg());
  f.seekg(0);
  std::vector<int16_t> pcm(bytes / 2);
  f.read(reinterpret_cast<char*>(pcm.data()), static_cast<std::streamsize>(pcm.size() * 2));
  std::vector<float> out(pcm.size());
  for (size_t i = 0; i < pcm.size(); ++i) out[i] = pcm[i] / 32768.0f;
  return out;
}

double power(const float* x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s / n;
}

// SI-SDR in dB, float64, zero-mean signals.
double si_sdr(const float* ref, const float* est, int64_t n) {
  double mr = 0, me = 0;
  for (int64_t i = 0; i < n; ++i) mr += ref[i], me += est[i];
  mr /= n, me /= n;
  double dot = 0, energy = 0;
  for (int64_t i = 0; i < n; ++i) dot += (est[i] - me) * (ref[i] - mr), energy += (ref[i] - mr) * (ref[i] - mr);
  const double alpha = dot / energy;
  double target = 0, noise = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double t = alpha * (ref[i] - mr);
    target += t * t;
    noise += (t - (est[i] - me)) * (t - (est[i] - me));
  }
  return 10 * std::log10(target / noise);
}

// The rows of a zero-padded batch, each cut to its length, as 16-bit PCM one after another.
void write_pcm16(const std::string& path, const torch::Tensor& batch, const std::vector<int64_t>& lengths) {
  std::ofstream f(path, std::ios::binary);
  for (size_t i = 0; i < lengths.size(); ++i) {
    const auto pcm = (batch[i].narrow(0, 0, lengths[i]) * 32768).round().clamp(-32768, 32767).to(torch::kInt16);
    f.write(reinterpret_cast<const char*>(pcm.data_ptr<int16_t>()), lengths[i] * sizeof(int16_t));
  }
  if (!f) throw rg::Error(rg::kIo, "cannot write " + path);
}

std::atomic<bool> stop_requested{false};
extern "C" void request_stop(int) {
  stop_requested = true;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// The last row of a log.csv as numbers (empty when there is none).
std::vector<double> last_row(const std::string& path) {
  std::ifstream f(path);
  std::string line, last;
  while (std::getline(f, line))
    if (!line.empty() && line[0] >= '0' && line[0] <= '9') last = line;
  std::vector<double> row;
  std::stringstream ss(last);
  for (std::string cell; std::getline(ss, cell, ',');) row.push_back(std::stod(cell));
  return row;
}

struct Mixer {
  std::vector<float> speech, noise;
  std::mt19937_64 rng;
  double snr_min = 0, snr_max = 15;
  // One crop of speech (redrawn while nearly silent) mixed with noise at an SNR in [snr_min, snr_max] dB,
  // both scaled so that the mixture's RMS is 0.1.
  void draw(float* clean, float* noisy, int64_t n) {
    std::uniform_int_distribution<int64_t> s_off(0, static_cast<int64_t>(speech.size()) - n);
    std::uniform_int_distribution<int64_t> n_off(0, static_cast<int64_t>(noise.size()) - n);
    std::uniform_real_distribution<double> snr(snr_min, snr_max);
    const float* s = nullptr;
    for (int tries = 0; tries < 20; ++tries) {
      s = speech.data() + s_off(rng);
      if (power(s, n) > 1e-5) break;
    }
    const float* z = noise.data() + n_off(rng);
    const double k = std::sqrt(power(s, n) / (std::max(power(z, n), 1e-12) * std::pow(10.0, snr(rng) / 10)));
    for (int64_t i = 0; i < n; ++i) noisy[i] = static_cast<float>(s[i] + k * z[i]);
    const double scale = 0.1 / std::sqrt(std::max(power(noisy, n), 1e-12));
    for (int64_t i = 0; i < n; ++i) clean[i] = static_cast<float>(s[i] * scale), noisy[i] *= static_cast<float>(scale);
  }
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const rgtool::Args a(argc, argv);
    rg::set_threads(std::stoi(a.get("threads", "4")));
    const torch::Device device(a.get("device", "cpu"));
    const std::string out = a.get("out");
    const bool resume = a.get("resume", "0") == "1";
    const auto model_ptr = resume ? rg::load_checkpoint(out + "/model.safetensors", device) : a.model(device);
    auto& model = *model_ptr;
    const auto config = model.config();
    int steps = std::stoi(a.get("steps"));
    const int batch = std::stoi(a.get("batch", "16"));
    const int crop = std::stoi(a.get("crop", "15872")), every = std::stoi(a.get("eval-every", "500"));
    const double lr = std::stod(a.get("lr", "0"));
    const double max_seconds = std::stod(a.get("max-seconds", "1e18"));  // stop early, then save as usual
    const bool keep_restored = a.get("keep-restored", "0") == "1";

    // Every rank draws the same global batches; train_step trains each on its slice.
    std::unique_ptr<rg::DataParallel> group;
    if (std::stoi(a.get("world-size", "1")) > 1) {
      rg::GroupOptions g;
      const auto master = a.get("master");
      const auto colon = master.rfind(':');
      if (colon == std::string::npos) throw rg::Error(rg::kInput, "--master must be HOST:PORT");
      g.master_addr = master.substr(0, colon);
      g.master_port = std::stoi(master.substr(colon + 1));
      g.rank = std::stoi(a.get("rank"));
      g.world_size = std::stoi(a.get("world-size"));
      g.timeout = std::chrono::milliseconds(std::stoll(a.get("timeout-ms", "1800000")));  // rank 0 evaluates meanwhile
      group = std::make_unique<rg::DataParallel>(g);
      group->synchronise(model);
    }
    const bool writer = !group || group->rank() == 0;
    for (int sig : {SIGTERM, SIGINT, SIGUSR1}) std::signal(sig, request_stop);

    const int first = resume ? static_cast<int>(model.train_state().step) + 1 : 1;
    Mixer mixer{read_pcm16(a.get("speech")), read_pcm16(a.get("noise")),
                std::mt19937_64(std::stoull(a.get("seed", "1")) + 1000003ULL * (first - 1)),
                std::stod(a.get("snr-min", "0")), std::stod(a.get("snr-max", "15"))};
    const auto test_clean = read_pcm16(a.get("test-clean")), test_noisy = read_pcm16(a.get("test-noisy"));
    std::vector<int64_t> lengths;
    std::ifstream lf(a.get("test-lengths"));
    for (int64_t n; lf >> n;) lengths.push_back(n);
    int64_t longest = 0, total = 0;
    for (auto n : lengths) longest = std::max(longest, n), total += n;
    if (total != static_cast<int64_t>(test_noisy.size())) throw rg::Error(rg::kInput, "test lengths do not add up");
    // The test set as one zero-padded batch.
    auto noisy_batch = torch::zeros({static_cast<int64_t>(lengths.size()), longest});
    for (size_t i = 0, off = 0; i < lengths.size(); off += lengths[i], ++i)
      std::copy(test_noisy.begin() + off, test_noisy.begin() + off + lengths[i], noisy_batch[i].data_ptr<float>());

    // Clocks continue from the log's last row when resuming (columns 1 and 9: seconds, cpu_seconds).
    const auto previous = resume ? last_row(out + "/log.csv") : std::vector<double>();
    const double wall0 = previous.size() > 9 ? previous[1] : 0, cpu0 = previous.size() > 9 ? previous[9] : 0;
    std::ofstream log;
    if (writer) log.open(out + "/log.csv", resume ? std::ios::app : std::ios::trunc);
    if (!resume) log << "step,seconds,loss,diffusion,mse,sigma_post,sigma_prior,si_sdr6,si_sdr3,cpu_seconds\n";
    // The test set restores in groups of --eval-batch items (item i with seed i whatever the grouping):
    // all at once, its activations took over 12 GB for 50 mixtures of a 32-channel model.
    const int64_t eval_batch = std::stoi(a.get("eval-batch", "4"));
    // The 3-step schedule too (--eval-fast3 0: not; a regression model has no schedule to vary).
    const bool eval3 = a.get("eval-fast3", "1") == "1" && !config.regression();
    const auto evaluate = [&](const std::vector<double>& betas, torch::Tensor* keep) {
      rg::RestoreOptions o;
      o.betas = betas;
      std::vector<torch::Tensor> parts;
      for (int64_t start = 0; start < noisy_batch.size(0); start += eval_batch) {
        const int64_t n = std::min<int64_t>(eval_batch, noisy_batch.size(0) - start);
        o.seeds.clear();
        for (int64_t i = start; i < start + n; ++i) o.seeds.push_back(static_cast<uint64_t>(i));
        // Each group only as long as its longest item: the batch is padded to the longest of all.
        const int64_t longest_here = *std::max_element(lengths.begin() + start, lengths.begin() + start + n);
        const auto group = rg::restore(model, noisy_batch.narrow(0, start, n).narrow(1, 0, longest_here), o);
        parts.push_back(torch::constant_pad_nd(group, {0, noisy_batch.size(1) - longest_here}));
      }
      const auto restored = torch::cat(parts, 0);
      double mean = 0;
      for (size_t i = 0, off = 0; i < lengths.size(); off += lengths[i], ++i)
        mean += si_sdr(test_clean.data() + off, restored[i].data_ptr<float>(), lengths[i]) / lengths.size();
      if (keep) *keep = restored;
      return mean;
    };
    auto clean = torch::empty({batch, crop}), noisy = torch::empty({batch, crop});
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    rg::StepStats st;
    torch::Tensor restored6, restored3;  // of the latest evaluation
    for (int step = first; step <= steps; ++step) {
      for (int b = 0; b < batch; ++b) mixer.draw(clean[b].data_ptr<float>(), noisy[b].data_ptr<float>(), crop);
      st = rg::train_step(model, clean, noisy, lr, group.get());
      const bool late = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > max_seconds;
      auto out_of_time = torch::tensor({late || stop_requested ? 1.0f : 0.0f});
      if (group) group->average({out_of_time});  // the ranks stop together when any is out of time
      if (out_of_time.item<float>() > 0) steps = step;
      if (writer && (step % every == 0 || step == steps)) {
        const double s6 = evaluate(config.fast_betas, &restored6);
        const double s3 = eval3 ? evaluate(config.fast3_betas, &restored3) : std::nan("");
        if (keep_restored) write_pcm16(out + "/restored6-" + std::to_string(step) + ".i16", restored6, lengths);
        const double secs = wall0 + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double cpu = cpu0 + cpu_seconds() - cpu_start;
        log << step << ',' << secs << ',' << st.loss << ',' << st.dm << ',' << st.mse << ',' << st.sigma_post << ','
            << st.sigma_prior << ',' << s6 << ',' << s3 << ',' << cpu << std::endl;
        std::printf("%s step %d  %.0f s  loss %.4f  SI-SDR %.2f (6) %.2f (3)\n", rg::prior_name(config.prior), step,
                    secs, st.loss, s6, s3);
        std::fflush(stdout);
        rg::save_checkpoint(model, out + "/model.safetensors");  // atomic: a crash keeps the last one
        rg::save_checkpoint(model, out + "/weights.safetensors", rg::CheckpointContents::Weights);
      }
    }
    if (writer && restored6.defined()) {
      write_pcm16(out + "/restored6.i16", restored6, lengths);  // the last step always evaluates
      if (restored3.defined()) write_pcm16(out + "/restored3.i16", restored3, lengths);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rg_train: %s\n", e.what());
    return 1;
  }
}
