// The embedded default (PROMETHEUS_MULTIPROC_DIR unset): a private store folder under /dev/shm,
// one per user and per session of processes started together, so that processes of the same
// run share it (and one of them serves it) while other users and runs do not.
#pragma once

#include <sys/types.h>

#include <string>

namespace npuprobe::store {

// "<base>/npuprobe-<uid>-<sid>": sid = the session id (setsid() of the launcher), which every
// process that a shell or `npuprobe run` starts together inherits.
std::string private_folder_path(const std::string &base = "/dev/shm");

// Creates `path` mode 0700 if missing and checks it is a directory (not a link) owned by this
// user and not writable by others (base::make_private_dir): a folder someone else prepared, or a
// link, is refused. Error text "<path>: <why>" on failure; the caller must then not use `path`.
bool prepare_private_folder(const std::string &path, std::string *error);

// The fallback when `path` was refused: a fresh folder "<path>.XXXXXX" (mkdtemp: an unguessable
// name, mode 0700) for this process alone. false with `error` when even that fails.
bool make_fresh_private_folder(const std::string &path, std::string *fresh, std::string *error);

}  // namespace npuprobe::store
