#!/bin/sh
# Generates a demo deployment under demo/ (unless one exists) and starts it.
#   demo/pki/   ECDSA P-256 CA, server certificates (broker, gateway; also valid for
#               10.77.0.1, where sandboxed agents reach them), the gateway's client
#               certificate for mutual TLS. Agents get no file here: the broker issues each
#               desktop its own certificate (CN agent-<desktop id>) with this CA.
#   demo/keys/  Ed25519 signing keys (audit checkpoints, tickets, recording seals) and the
#               AES-256 key for factor secrets at rest
#   demo/safedesk.toml  the deployment's configuration (every other key: built-in default)
# Usage: scripts/demo.sh BUILD_DIR   (make demo passes build/default)
set -eu
BUILD_DIR=${1:-build/default}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=${SAFEDESK_DEMO_DIR:-$ROOT/demo}
case "$BUILD_DIR" in /*) BIN=$BUILD_DIR/bin ;; *) BIN=$ROOT/$BUILD_DIR/bin ;; esac

umask 077

gen_ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# $1 name, $2 CN, $3 extendedKeyUsage, $4 subjectAltName (may be empty)
issue_cert() {
  name=$1; cn=$2; eku=$3; san=$4
  gen_ec_key "$DEMO/pki/$name.key"
  openssl req -new -key "$DEMO/pki/$name.key" -subj "/O=safedesk demo/CN=$cn" -out "$DEMO/pki/$name.csr"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=$eku"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } > "$DEMO/pki/$name.ext"
  openssl x509 -req -in "$DEMO/pki/$name.csr" -CA "$DEMO/pki/ca.crt" -CAkey "$DEMO/pki/ca.key" \
    -CAcreateserial -days 825 -sha256 -extfile "$DEMO/pki/$name.ext" -out "$DEMO/pki/$name.crt" 2>/dev/null
  rm -f "$DEMO/pki/$name.csr" "$DEMO/pki/$name.ext"
}

generate() {
  echo "demo: generating a deployment under $DEMO"
  mkdir -p "$DEMO/pki" "$DEMO/keys" "$DEMO/var/recordings" "$DEMO/datasets/claims-demo"
  printf 'claim_id,age_band,diagnosis_code,cost\n1,40-49,E11,1200\n2,60-69,I10,340\n' \
    > "$DEMO/datasets/claims-demo/claims.csv"
  gen_ec_key "$DEMO/pki/ca.key"
  openssl req -new -x509 -key "$DEMO/pki/ca.key" -subj "/O=safedesk demo/CN=safedesk demo CA" \
    -days 825 -sha256 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$DEMO/pki/ca.crt"
  issue_cert broker localhost serverAuth "DNS:localhost,IP:127.0.0.1,IP:10.77.0.1"
  issue_cert gateway localhost serverAuth "DNS:localhost,IP:127.0.0.1,IP:10.77.0.1"
  issue_cert gateway-client safedesk-gateway clientAuth ""
  for k in audit-signing ticket-signing recording-seal; do
    openssl genpkey -algorithm ed25519 -out "$DEMO/keys/$k.pem"
  done
  openssl rand -out "$DEMO/keys/factor-secrets.key" 32
  chmod 600 "$DEMO"/pki/*.key "$DEMO"/keys/*
  chmod 644 "$DEMO"/pki/*.crt
  # Sandbox desktops run as nobody: they must be able to read the dataset (read-only mount),
  # and bubblewrap, already nobody, must reach it and the sandboxes' private directories
  # under var/ (traverse only: nothing here is listable or readable by nobody).
  chmod 711 "$DEMO" "$DEMO/var"
  chmod 755 "$DEMO/datasets" "$DEMO/datasets/claims-demo"
  chmod 644 "$DEMO/datasets/claims-demo/claims.csv"
  sed -e "s|@ROOT@|$ROOT|g" -e "s|@BIN@|$BIN|g" "$ROOT/scripts/demo.toml.in" > "$DEMO/safedesk.toml"
  install_pam_service
  echo
  echo "demo users (passwords and TOTP secrets are shown once; 'safedeskctl user passwd' sets new ones):"
  for spec in researcher:researcher admin:administrator auditor:auditor; do
    "$BIN/safedeskctl" --config "$DEMO/safedesk.toml" user add "${spec%%:*}" --roles "${spec#*:}" \
      --password-file "$DEMO/var/passwd" --totp
  done
}

# PAM service for the demo: pam_pwdfile over a password file safedeskctl manages, so the
# demo needs no system accounts (a site points its service at LDAP/AD instead).
install_pam_service() {
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  printf 'auth required pam_pwdfile.so pwdfile=%s\naccount required pam_permit.so\n' "$DEMO/var/passwd" |
    $SUDO tee /etc/pam.d/safedesk-demo >/dev/null
}

[ -f "$DEMO/safedesk.toml" ] || generate
[ -f /etc/pam.d/safedesk-demo ] || install_pam_service

"$BIN/safedesk-broker" --config "$DEMO/safedesk.toml" --check-config

cat <<MSG

safedesk demo deployment: $DEMO
  config        $DEMO/safedesk.toml
  CA            $DEMO/pki/ca.crt   (trust it in a browser to avoid the warning)
  audit log     $DEMO/var/audit.log
  broker        https://localhost:8443/   (log in as researcher, admin or auditor)
  desktops      pool "default": 2 at most, 1 warm spare with its agent registered ahead
                (the broker log says "spare of project claims-demo ready")
  gateway       wss://127.0.0.1:8444/     (the desktop page connects to it; metrics on http://127.0.0.1:9464/metrics)
  recordings    $DEMO/var/recordings/      (verify one: $BIN/safedeskctl --config $DEMO/safedesk.toml recording verify FILE)
Next:
  - verify the audit log:  $BIN/safedeskctl --config $DEMO/safedesk.toml audit verify --live
  - stop the demo with Ctrl-C (the audit log is closed with a signed checkpoint)
  - start over: rm -rf $DEMO && make demo

MSG
# The gateway runs beside the broker and stops with it.
"$BIN/safedesk-gateway" --config "$DEMO/safedesk.toml" --check-config
"$BIN/safedesk-gateway" --config "$DEMO/safedesk.toml" &
gateway_pid=$!
trap 'kill -TERM "$gateway_pid" 2>/dev/null; wait "$gateway_pid" 2>/dev/null' EXIT
trap 'exit 0' INT TERM
"$BIN/safedesk-broker" --config "$DEMO/safedesk.toml"
