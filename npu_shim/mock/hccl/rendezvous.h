// Comm init by root info across processes: every rank of a communicator meets the others in a
// small shared file named by the root info's key, like real HCCL's ranks meet at the root's
// address. Bounded: a rank that does not see all nRanks arrive in time gets HCCL_E_TIMEOUT.
#pragma once

#include <cstdint>

#include "npu/hccl_api.h"

namespace npumock::hccl {

// What HcclGetRootInfo writes: a magic, the key, zeros after.
struct RootKey {
  char magic[16];
  char key[48];
};
static_assert(sizeof(RootKey) <= HCCL_ROOT_INFO_BYTES, "fits a root info");

void make_root_key(RootKey *out);
bool valid_root_key(const HcclRootInfo &info);

// Waits until ranks 0..nranks-1 all arrived. HCCL_E_PARA: another rank announced a different
// nRanks, or this rank already arrived; HCCL_E_TIMEOUT; HCCL_E_SYSCALL: no shared file.
HcclResult rendezvous(const HcclRootInfo &info, uint32_t nranks, uint32_t rank,
                      uint32_t timeout_ms);

}  // namespace npumock::hccl
