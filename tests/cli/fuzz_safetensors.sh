# fuzz_safetensors.sh — the safetensors reader survives 20000 mutated files
# (run under AddressSanitizer by `make check SANITIZE=1`).
. tests/cli/lib.sh
FUZZ=${GCSE_BUILD:-build}/tests/tools/fuzz_safetensors
t_case fuzz_safetensors_20000 0 - empty "$FUZZ 20000 1"
t_case fuzz_safetensors_seed2 0 - empty "$FUZZ 5000 2"
