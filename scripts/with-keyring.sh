#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a gnome-keyring Secret Service unlocked,
# so the real keychain code paths run on a headless machine.
#   KEYRING_HERMETIC=1  keep the keyring files in a throw-away folder (tests)
set -euo pipefail
if [ -z "${ADVISOR_DESK_KEYRING_SESSION:-}" ]; then
  export ADVISOR_DESK_KEYRING_SESSION=1 ADVISOR_DESK_OUTER_DISPLAY="${DISPLAY:-}"
  # The bus starts without a display: D-Bus activates gnome-keyring's unlock prompter with the
  # bus's environment, and a prompt on a virtual display would wait forever for a click. With
  # no display it fails at once, which is what a locked keychain on a headless machine is.
  exec env -u DISPLAY -u WAYLAND_DISPLAY dbus-run-session -- "$0" "$@"
fi
if [ "${KEYRING_HERMETIC:-0}" = 1 ]; then
  keyring_home=$(mktemp -d)
  trap 'rm -rf "$keyring_home"' EXIT
  export XDG_DATA_HOME="$keyring_home"
fi
# The password only protects this session's keyring file; it is not a secret of the app.
eval "$(printf 'advisor-desk-session\n' | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
export GNOME_KEYRING_CONTROL
if [ -n "${ADVISOR_DESK_OUTER_DISPLAY:-}" ]; then
  export DISPLAY="$ADVISOR_DESK_OUTER_DISPLAY"
fi
"$@"
