// Typed errors of the core. The addon maps `code` to the TypeScript error classes.
#pragma once
#include <stdexcept>
#include <string>

namespace rg {

// Stable codes, shared with lib/errors.ts.
inline constexpr const char* kInput = "E_INPUT";            // bad signal, shape or option
inline constexpr const char* kConfig = "E_CONFIG";          // invalid model configuration
inline constexpr const char* kCheckpoint = "E_CHECKPOINT";  // unreadable, corrupt or mismatched file
inline constexpr const char* kAborted = "E_ABORTED";        // cancelled between steps
inline constexpr const char* kIo = "E_IO";                  // file system failure
inline constexpr const char* kDisposed = "E_DISPOSED";      // the model was disposed
inline constexpr const char* kNative = "E_NATIVE";          // anything else raised by LibTorch

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

}  // namespace rg
