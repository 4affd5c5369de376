#!/usr/bin/env bash
# Installs the system programs micrograd_plus uses, where they are missing:
#   graphviz  - the `dot` program that renders graph images (always)
#   chromium  - headless browser for the HTML explorer tests (with --test)
#   tmux      - drives the terminal stepper in tests (with --test)
# Debian/Ubuntu (apt-get); elsewhere it prints what to install and carries on.
set -euo pipefail
want=(graphviz)
if [[ "${1:-}" == "--test" ]]; then
    want+=(chromium chromium-driver tmux)
fi
missing=()
for pkg in "${want[@]}"; do
    case "$pkg" in
        graphviz) command -v dot >/dev/null 2>&1 || missing+=(graphviz) ;;
        chromium) command -v chromium >/dev/null 2>&1 || missing+=(chromium) ;;
        chromium-driver) command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver) ;;
        tmux) command -v tmux >/dev/null 2>&1 || missing+=(tmux) ;;
    esac
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "Please install: ${missing[*]} (Graphviz: https://graphviz.org/download/)" >&2
    exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
