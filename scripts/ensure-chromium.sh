#!/usr/bin/env bash
# The PWA's browser tests drive Debian's chromium (no browser download at test time), and their screenshots
# need CJK fonts (without fonts-noto-cjk Chinese renders as boxes). Install both when we can (root + apt);
# otherwise say so: the browser tests then skip (or fail in CI).
have_fonts() { fc-list 2>/dev/null | grep -qi "noto.*cjk"; }
command -v chromium >/dev/null 2>&1 && have_fonts && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  if apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1; }; then
    echo "installed chromium and fonts-noto-cjk"
    exit 0
  fi
fi
command -v chromium >/dev/null 2>&1 && { echo "fonts-noto-cjk not installed: screenshots show Chinese as boxes"; exit 0; }
echo "chromium not available: browser tests will skip"
