# gcse — build, test and install.  See README.md.
#   make                      build every program into $(BUILD)/bin
#   make check                build and run the whole test suite
#   make check SANITIZE=1     the same under AddressSanitizer + UBSan (build-san/)
#   make BLAS=openblas        the GEMM backend: blis, openblas or auto (default)
#   make install PREFIX=...   install programs and man pages
#   make deps                 install the Debian packages the build and tests need
VERSION  = 0.1.0
PREFIX  ?= /usr/local
DATADIR ?= $(PREFIX)/share/gcse
CC      ?= cc
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

ifeq ($(SANITIZE),1)
BUILD   ?= build-san
OPT     ?= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD   ?= build
OPT     ?= -O2 -g
endif

# Our own kernels (LayerNorm, softmax, GELU) vectorise with the host ISA; ARCH= for a portable build.
ARCH    ?= -march=native

CPPFLAGS += -D_GNU_SOURCE -DGCSE_VERSION='"$(VERSION)"' -DGCSE_DATADIR='"$(DATADIR)"' -Ilib
# -fno-math-errno: no program reads errno after a math function, and without
# the errno side effect sqrtf becomes one instruction that loops vectorise
# (Adam); every result stays correctly rounded: the bits do not change.
# (Not -ffast-math, which would.)
CFLAGS   += -std=c11 $(OPT) -Wall -Wextra -Wno-unused-parameter -fno-math-errno -fopenmp $(ARCH)
LDFLAGS  += $(OPT) -fopenmp
LDLIBS   += -ljq -lcurl $(GEMM_LIBS) -lutf8proc -lz -lm -lpthread

# ---- GEMM backend (issue 14) -------------------------------------------------
# Every matrix product goes through lib/base/gemm.c, the only file that
# includes a BLAS header; BLAS= picks what it is built on:
#   BLAS=auto (default): BLIS, unless OpenBLAS is installed and the installed
#     BLIS has no optimised configuration for this CPU (scripts/blas-probe
#     asks it: "generic" means its reference C kernels) or runs AVX2 kernels
#     on an AVX-512 CPU (measured slower there: bench/blis-known.sh): then
#     OpenBLAS;
#   BLAS=blis, BLAS=openblas: that one.
# The build says which and why. OpenBLAS is the OpenMP flavour (the programs
# use OpenMP), found by its Debian folder and linked with that folder as
# run path, so the system's BLAS alternatives do not change which is run.
.DEFAULT_GOAL := all
BLAS    ?= auto
# blis.h has no pkg-config file and warns under -Wall: include it as a system header.
BLIS_INC ?= $(firstword $(wildcard /usr/include/$(MULTIARCH)/blis-openmp \
            /usr/include/$(MULTIARCH)/blis-pthread /usr/include/$(MULTIARCH)/blis-serial \
            /usr/include/blis))
OPENBLAS_INC ?= $(firstword $(wildcard /usr/include/$(MULTIARCH)/openblas-openmp \
                /usr/include/$(MULTIARCH)/openblas-pthread /usr/include/$(MULTIARCH)/openblas-serial))
OPENBLAS_LIB ?= $(firstword $(wildcard /usr/lib/$(MULTIARCH)/openblas-openmp \
                /usr/lib/$(MULTIARCH)/openblas-pthread /usr/lib/$(MULTIARCH)/openblas-serial))
# (make clean and make deps need no backend)
GEMM_NEEDED := $(if $(MAKECMDGOALS),$(filter-out clean deps,$(MAKECMDGOALS)),all)
ifeq ($(GEMM_NEEDED),)
GEMM     := none
GEMM_WHY := not needed
else ifeq ($(BLAS),auto)
GEMM_PROBE := $(shell sh scripts/blas-probe "$(CC)" "$(BLIS_INC)" "$(OPENBLAS_INC)" "$(OPENBLAS_LIB)")
GEMM     := $(firstword $(GEMM_PROBE))
GEMM_WHY := BLAS=auto: $(wordlist 2,1000,$(GEMM_PROBE))
else
GEMM     := $(BLAS)
GEMM_WHY := BLAS=$(BLAS) given
endif
ifeq ($(GEMM_NEEDED),)
else ifeq ($(GEMM),blis)
ifeq ($(BLIS_INC),)
$(error BLAS=blis but BLIS is not installed (no blis.h): run scripts/install-deps, or set BLIS_INC)
endif
GEMM_CPPFLAGS := -DGCSE_GEMM_BLIS -isystem $(BLIS_INC)
GEMM_LIBS     := -lblis
else ifeq ($(GEMM),openblas)
ifeq ($(and $(OPENBLAS_INC),$(OPENBLAS_LIB)),)
$(error BLAS=openblas but OpenBLAS is not installed: run scripts/install-deps, or set OPENBLAS_INC and OPENBLAS_LIB)
endif
GEMM_CPPFLAGS := -DGCSE_GEMM_OPENBLAS -isystem $(OPENBLAS_INC)
GEMM_LIBS     := -L$(OPENBLAS_LIB) -Wl,-rpath,$(OPENBLAS_LIB) -lopenblas
else ifeq ($(GEMM),none)
$(error $(GEMM_WHY))
else
$(error BLAS=$(BLAS): expected blis, openblas or auto)
endif
ifeq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
ifneq ($(filter-out print-gemm,$(GEMM_NEEDED)),)
$(info gcse: GEMM backend $(GEMM) ($(GEMM_WHY)))
endif
endif
# Only gemm.o depends on the backend; a stamp per backend rebuilds it (and
# relinks everything) when BLAS= changes in the same build folder.
GEMM_STAMP := $(BUILD)/gemm-$(GEMM).stamp
$(GEMM_STAMP):
	@mkdir -p $(@D)
	@rm -f $(BUILD)/gemm-*.stamp
	@touch $@
$(BUILD)/lib/base/gemm.o: CPPFLAGS += $(GEMM_CPPFLAGS)
$(BUILD)/lib/base/gemm.o: $(GEMM_STAMP)
# make -s print-gemm: the backend this build uses (for scripts)
print-gemm:
	@echo $(GEMM)
.PHONY: print-gemm
# ---- end of GEMM backend ------------------------------------------------------

LIB_SRC  := $(sort $(wildcard lib/*/*.c))
LIB_HDR  := $(wildcard lib/*/*.h)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
PROGS    := $(sort $(basename $(notdir $(wildcard bin/*.c))))
BINS     := $(PROGS:%=$(BUILD)/bin/%)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOLS    := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
LIBGCSE  := $(BUILD)/libgcse.a

all: $(BINS)

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBGCSE): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/bin/%: bin/%.c $(LIBGCSE) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBGCSE) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/*.h $(LIBGCSE) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ $< $(LIBGCSE) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/tools/%: tests/tools/%.c $(LIBGCSE) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBGCSE) $(LDFLAGS) $(LDLIBS)

# ---- MPI (issue 8) ---------------------------------------------------------
# gcsetrain alone links MPI: lib/train/dist.c is compiled a second time with
# -DGCSE_MPI into $(BUILD)/mpi/dist.o, which the gcsetrain link puts ahead of
# libgcse.a, so the archive's serial dist.o is not pulled. Every other program
# and libgcse.a stay MPI-free.
#   MPI=auto (default): on when $(MPICC) is found;  MPI=1: required;  MPI=0: off.
# The flags come from Open MPI's `mpicc --showme`; for another MPI set
# MPI_CFLAGS and MPI_LIBS (e.g. from MPICH's `mpicc -show`).
MPI     ?= auto
MPICC   ?= mpicc
MPI_FOUND := $(if $(shell command -v $(MPICC) 2>/dev/null),1,0)
ifeq ($(MPI),auto)
MPI_ON  := $(MPI_FOUND)
else ifeq ($(MPI),1)
MPI_ON  := 1
ifeq ($(MPI_FOUND)$(origin MPI_LIBS),0undefined)
$(error MPI=1 but $(MPICC) is not found: install libopenmpi-dev openmpi-bin, or set MPI_CFLAGS and MPI_LIBS)
endif
else
MPI_ON  := 0
endif
ifeq ($(MPI_ON),1)
ifeq ($(origin MPI_CFLAGS),undefined)
MPI_CFLAGS := $(shell $(MPICC) --showme:compile)
endif
ifeq ($(origin MPI_LIBS),undefined)
MPI_LIBS   := $(shell $(MPICC) --showme:link)
endif

$(BUILD)/mpi/dist.o: lib/train/dist.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DGCSE_MPI $(MPI_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/bin/gcsetrain: bin/gcsetrain.c $(BUILD)/mpi/dist.o $(LIBGCSE) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/mpi/dist.o $(LIBGCSE) $(LDFLAGS) $(MPI_LIBS) $(LDLIBS)
endif
# ---- end of MPI -------------------------------------------------------------

check: $(BINS) $(UNITS) $(TOOLS)
	@BUILD=$(BUILD) sh tests/run

deps:
	scripts/install-deps

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1
	if [ -d prompts ]; then install -d $(DESTDIR)$(DATADIR)/prompts && \
		install -m 644 prompts/* $(DESTDIR)$(DATADIR)/prompts; fi

clean:
	rm -rf build build-san

.PHONY: all check deps install clean
.SECONDARY:

# The offline demo: the pipeline of examples/Makefile (WordNet sentences ->
# WordNet vectors -> distillation of their SIF vectors -> kgextract | kgsynth |
# kgfilter -> GCSE -> evaluation)
# into DEMO_OUT; a rerun redoes only what is missing. VECTORS=FILE adds
# word-vector initialisation, STS=FILE (default: ../shared's STS-B dev when
# present) / STS_DIR=DIR (a SentEval folder) STS scores.
DEMO_OUT ?= $(CURDIR)/demo
STS ?= $(wildcard ../shared/data/sts/stsb-dev.ndjson)
demo: all
	$(MAKE) -C examples BIN=$(abspath $(BUILD))/bin OUT=$(DEMO_OUT) \
	  $(if $(VECTORS),VECTORS=$(abspath $(VECTORS))) $(if $(STS),STS=$(abspath $(STS))) \
	  $(if $(STS_DIR),STS_DIR=$(abspath $(STS_DIR)))
.PHONY: demo

# The STS table of METHOD.md §6 for a model directory: STS12-16 ('all': the
# subsets of a year pooled), STS-B test, SICK-R test and their average,
# Spearman x100, from a SentEval data folder (scripts/get-senteval fetches it).
sts-table:
	@[ -n "$(MODEL)" ] && [ -n "$(STS_DIR)" ] || \
	  { echo "usage: make sts-table MODEL=DIR STS_DIR=SENTEVAL_DIR" >&2; exit 2; }
	@[ -x $(BUILD)/bin/stsscore ] || { echo "sts-table: no $(BUILD)/bin/stsscore: run make" >&2; exit 2; }
	@scripts/senteval2ndjson $(STS_DIR) | $(BUILD)/bin/stsscore -q -m $(MODEL) | \
	  jq -r '[.task, .n, (.spearman | if . == null then "undefined" else . * 100 | round / 100 end)] | @tsv'
.PHONY: sts-table
