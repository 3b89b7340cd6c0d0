// Minimal option parsing shared by the subcommands: "--name value", "--name=value", flags.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace npuprobe::cli {

class Options {
 public:
  // `valued`: options that take a value; `flags`: options that do not. Anything else is an
  // error, reported by ok()/error().
  Options(const std::vector<std::string> &args, const std::set<std::string> &valued,
          const std::set<std::string> &flags = {});

  bool ok() const { return error_.empty(); }
  const std::string &error() const { return error_; }
  std::optional<std::string> value(const std::string &name) const;
  bool flag(const std::string &name) const { return flags_.count(name) > 0; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::string error_;
};

// --dir, else $PROMETHEUS_MULTIPROC_DIR; nullopt (with a message printed) when neither is set.
std::optional<std::string> store_directory(const Options &options);

// The libnpuprobe.so of this build or install: build/bin/npuprobe -> build/lib/libnpuprobe.so (the
// same layout as an install's bin/ and lib/).
std::string own_preload_path();

// LD_PRELOAD's entries (null = unset), split on spaces and colons as ld.so does.
std::vector<std::string> preload_entries(const char *value);

// Prints "npuprobe <command>: <message>" and the usage line; returns the exit code 2.
int usage_error(const char *command, const std::string &message);

}  // namespace npuprobe::cli
