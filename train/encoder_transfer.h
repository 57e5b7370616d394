// Encoder transfer for fine-tuning (spec §1.4, §7.1; upstream utils/finetune.py
// get_and_modify_module_state_dict_keys): --pretrain_tag picks one pretrained encoder out of a
// cromss checkpoint (or one converted from upstream by tools/convert_ckpt.py) and copies it into
// the fine-tuning model's encoder:
//   mfs1 net.encoder1.  (mid fusion, S1)      mfs2 net.encoder.  (mid fusion, S2)
//   lfs1 net.model1.encoder.  (late fusion)   lfs2 net.model2.encoder.
//   nss1 / nss2 net.encoder.  (single-modal pretraining)          rand: nothing (random encoder)
// Like upstream (strict=False plus an assertion that no encoder key is missing) every encoder
// tensor must be present with its shape; other keys are ignored. Problems are reported together
// in one ValueError naming the file and the flag; a first-conv channel mismatch names
// --n_channels.
#pragma once

#include <cstdint>
#include <string>

#include "models/resnet.h"

namespace cromss {

// The checkpoint key prefix of a --pretrain_tag; "" for rand. ValueError for other tags.
std::string pretrain_prefix(const std::string& pretrain_tag);

// Copies the encoder `pretrain_tag` selects from `ckpt_path` into `encoder` (any device/dtype);
// returns the number of tensors copied (0 for rand).
int64_t load_pretrained_encoder(const std::string& ckpt_path, const std::string& pretrain_tag,
                                ResNetEncoder& encoder);

}  // namespace cromss
