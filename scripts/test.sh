#!/usr/bin/env bash
# npm test: dependencies, services (Redis, Temporal dev server), then the whole vitest suite.
# Extra arguments go to vitest (e.g. `npm test -- test/unit`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/services.sh" up
exec npx vitest run "$@"
