#!/bin/sh
# Installs every Debian 12 package safedesk builds, tests or demos with.
# Idempotent: when everything is present it only runs dpkg-query (well under a second).
set -eu

PACKAGES="
build-essential cmake pkg-config git ca-certificates
libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
libssl-dev openssl
libspdlog-dev libfmt-dev
libtomlplusplus-dev
libsqlite3-dev sqlite3
libpam0g-dev libpam-wrapper libpam-pwdfile libcrypt-dev
libfido2-dev libcbor-dev
libqrencode-dev
freerdp2-dev libwinpr2-dev freerdp2-shadow-x11 freerdp2-x11 winpr-utils
libgtest-dev libgmock-dev libbenchmark-dev
xvfb x11-utils x11-apps xterm openbox xdotool libx11-dev libxtst-dev
libturbojpeg0-dev libwebp-dev libpng-dev libzstd-dev zlib1g-dev
bubblewrap iproute2 nftables
python3 python3-pandas r-base-core visidata
chromium
"

# One dpkg-query for all packages; a package it does not list as installed is missing.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null | awk '$4 == "installed" { print $1 }')
missing=""
for p in $PACKAGES; do
  case " $(echo $installed) " in
    *" $p "*) ;;
    *) missing="$missing $p" ;;
  esac
done

# Node.js may come from Debian or from NodeSource (which bundles npm and conflicts
# with Debian's npm package): only ask for them when the commands are absent.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

install_node_modules() {
  # Browser tests drive Debian's chromium with playwright-core; never download a browser.
  here=$(cd "$(dirname "$0")/.." && pwd)
  dir="$here/tests/browser"
  [ -f "$dir/package-lock.json" ] || return 0
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in tests/browser"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

if [ -z "$missing" ]; then
  echo "setup: all packages present"
  install_node_modules
  exit 0
fi

echo "setup: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
# One update per setup run; skip when lists are younger than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
  $SUDO apt-get update -q
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
install_node_modules
echo "setup: done"
