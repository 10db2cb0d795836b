#!/usr/bin/env bash
# Send a test text into the dev instance as a citizen's phone would: through the fake SMSC
# that scripts/up.sh runs with DASAN_SMS_BACKEND=kannel (README, "Texts in dev"). E.g.
#   bash scripts/sms_in.sh +821012345678 '역삼1동 가로등 고장'   # a complaint by text
#   bash scripts/sms_in.sh +821012345678 5                        # a rating by reply
# The answer, like every text sent, shows in var/kannel/fakesmsc.log.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -eq 2 ] || die "usage: bash scripts/sms_in.sh FROM-PHONE TEXT"
mo="$VAR/kannel/mo"
[ -p "$mo" ] || die "no $mo: start scripts/up.sh with DASAN_SMS_BACKEND=kannel first"
# fakesmsc reads one line per text: "from to data <URL-encoded bytes>", here UTF-8 (Korean
# survives; its "text" kind would not). Nothing reads the FIFO once up.sh has stopped: the
# timeout keeps this from hanging then.
line="$(python3 -c 'import sys, urllib.parse as u
print(sys.argv[1], "120", "data", u.quote(sys.argv[2].encode(), safe=""))' "$1" "$2")"
timeout 5 bash -c 'printf "%s\n" "$1" >"$2"' _ "$line" "$mo" \
  || die "fakesmsc is not reading $mo (is scripts/up.sh running with DASAN_SMS_BACKEND=kannel?)"
say "sent '$2' from $1; replies appear in var/kannel/fakesmsc.log"
