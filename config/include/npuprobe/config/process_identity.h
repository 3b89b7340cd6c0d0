// Who a process is, as npuprobe's labels say it, read from what the process shows the system:
// its title (vLLM names its processes `VLLM::EngineCore_DP<n>`, `VLLM::Worker_DP<n>_TP<m>`),
// ASCEND_RT_VISIBLE_DEVICES (which renumbers the host's devices for the process) and the
// command line of the server it belongs to (the model name). Pure functions over strings, and
// the /proc readers they are fed by. Cold: the publisher thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace npuprobe::config {

// ASCEND_RT_VISIBLE_DEVICES as the CANN runtime reads it (hicann/runtime
// src/runtime/core/src/runtime.cc, Runtime::GetVisibleDevices): element i is the host device
// the process sees as device i. Tokens split on ','; reading stops at the first token that is
// not all digits; ids must ascend without repeating. Empty: unset, or a value the runtime
// refuses (then the process has no device to label anyway).
std::vector<int> parse_visible_devices(const char *value);

// `<n>` of the last `DP<n>` in a process title ("VLLM::Worker_DP1_TP0" -> "1"); none when the
// title names no rank.
std::optional<std::string> dp_from_title(const std::string &title);

// The served model of a vLLM server command line (argv): `--served-model-name X` (first name),
// else `--model X`, else the positional model of `vllm serve X`. Only for command lines that
// run a vLLM server (`vllm serve`, `-m vllm.entrypoints...`, an `api_server.py` script, as the
// serving harness is); "" otherwise.
std::string model_from_command(const std::vector<std::string> &argv);

// /proc/<pid>/cmdline split at its NULs (a title set with setproctitle is its first element);
// empty when unreadable.
std::vector<std::string> process_argv(int pid);
// The parent of `pid` (/proc/<pid>/stat field 4), 0 when unknown.
int parent_pid(int pid);
// The title of this process as ps shows it: /proc/self/comm (15 bytes of a prctl name) and
// the command line (the whole title a setproctitle wrote), joined by a space.
std::string own_title();
// model_from_command of this process or its nearest ancestor that runs a vLLM server ("" when
// none): worker and engine processes carry titles, their server keeps its command line.
std::string served_model_of_ancestors();

}  // namespace npuprobe::config
