// --hccl-ranks N: rank 0 is this process; ranks 1..N-1 are copies of it started with the same
// arguments plus --hccl-rank R --hccl-root HEX (rank 0's root info), as torchrun starts one
// process per rank and the ranks share the root info out of band.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "npu/hccl_api.h"

namespace npusim {

std::string encode_root(const HcclRootInfo &info);
// The started ranks' pids (fewer when a start failed: said on stderr).
std::vector<pid_t> start_ranks(int argc, char **argv, uint32_t nranks, const std::string &root);
// The worst exit status of the ranks (0 when all succeeded).
int wait_ranks(const std::vector<pid_t> &pids);
// Rank 0 reports to FILE, rank R to FILE.rank<R>.
std::string rank_report_path(const std::string &report, uint32_t rank);

}  // namespace npusim
