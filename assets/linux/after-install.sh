#!/bin/sh
# Installs the polkit policy that names the helper, so pkexec shows Lifeboat's own message.
set -e
install -D -m 0644 /opt/Lifeboat/resources/org.lifeboat.helper.policy /usr/share/polkit-1/actions/org.lifeboat.helper.policy 2>/dev/null || true
