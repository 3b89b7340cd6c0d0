// Bytes of one element of each HcclDataType (hccl's DATATYPE_SIZE_TABLE; docs/ascend-stack.md,
// "HCCL"). Not part of hccl.h: shared by the mock, npu-sim and npuprobe so that "bytes" means
// count x element size everywhere. An unknown type has size 0.
#ifndef NPU_HCCL_SIZES_H
#define NPU_HCCL_SIZES_H

#include <stdint.h>

#include "npu/hccl_api.h"

static inline uint64_t npu_hccl_type_size(HcclDataType type) {
  switch (type) {
    case HCCL_DATA_TYPE_INT8:
    case HCCL_DATA_TYPE_UINT8: return 1;
    case HCCL_DATA_TYPE_INT16:
    case HCCL_DATA_TYPE_FP16:
    case HCCL_DATA_TYPE_UINT16:
    case HCCL_DATA_TYPE_BFP16: return 2;
    case HCCL_DATA_TYPE_INT32:
    case HCCL_DATA_TYPE_FP32:
    case HCCL_DATA_TYPE_UINT32: return 4;
    case HCCL_DATA_TYPE_INT64:
    case HCCL_DATA_TYPE_UINT64:
    case HCCL_DATA_TYPE_FP64: return 8;
    case HCCL_DATA_TYPE_INT128: return 16;
    default: return 0;
  }
}

#endif  // NPU_HCCL_SIZES_H
