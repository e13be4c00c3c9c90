#!/usr/bin/env bash
# The PWA's browser tests drive Debian's chromium (no browser download at test time).
# Install it when we can (root + apt); otherwise say so: the tests then skip (or fail in CI).
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  if apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }; then
    echo "installed chromium"
    exit 0
  fi
fi
echo "chromium not available: browser tests will skip"
