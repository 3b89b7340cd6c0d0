// Folders npuprobe makes for itself (the private store folder, the process registry).
//
// Such a folder may already exist, made by someone else: another user who made it first, world
// writable, so that the files npuprobe creates there can be swapped or pointed elsewhere; or a
// symlink to a folder that user controls. It is used only when it is a real directory (not a
// link), owned by the effective user and not writable by group or others; otherwise the caller
// refuses it with one clear line and falls back.
#pragma once

#include <sys/types.h>

#include <string>

namespace npuprobe::base {

// mkdir(path, mode) unless it exists, then is_private_dir. false with *why otherwise.
bool make_private_dir(const std::string &path, mode_t mode, std::string *why);

// lstat: a directory (not a link to one), owned by geteuid(), without group or other write.
bool is_private_dir(const std::string &path, std::string *why);

}  // namespace npuprobe::base
