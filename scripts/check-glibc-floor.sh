#!/usr/bin/env bash
# Fails when a shipped ELF file needs more than the glibc floor (issue 17, cmake/GlibcFloor.cmake):
# a GLIBC_ symbol version above 2.28, or any GLIBCXX_/CXXABI_/GCC_ version (libstdc++ and libgcc
# are linked statically). Prints every offending symbol with its version.
#   usage: check-glibc-floor.sh FILE...    (NPUPROBE_GLIBC_FLOOR=2.28 by default)
set -euo pipefail
floor=${NPUPROBE_GLIBC_FLOOR:-2.28}
status=0
for file in "$@"; do
  # The undefined dynamic symbols with the version each needs ("name@GLIBC_2.34"), and the
  # needed versions (what no symbol row shows). readelf reads any architecture's ELF files.
  bad=$( { readelf --dyn-syms -W "$file" | awk '$7 == "UND" && $8 ~ /@/ {
             split($8, part, "@"); print "(" part[2] ")", part[1] }';
           readelf -V "$file" | awk '/Name: (GLIBC|GLIBCXX|CXXABI|GCC)_/ {print "(" $3 ")", "(needed)"}'; } |
    tr -d '()' | while read -r version name; do
      case $version in
        GLIBCXX_*|CXXABI_*|GCC_*) echo "$version $name" ;;
        GLIBC_*)
          v=${version#GLIBC_}
          if [ "$(printf '%s\n%s\n' "$floor" "$v" | sort -V | tail -1)" != "$floor" ]; then
            echo "$version $name"
          fi ;;
      esac
    done | sort -u)
  if [ -n "$bad" ]; then
    echo "$file needs more than glibc $floor without libstdc++:"
    echo "$bad" | sed 's/^/  /'
    status=1
  else
    echo "$file: at the floor (glibc $floor, no libstdc++/libgcc_s versions)"
  fi
done
exit $status
