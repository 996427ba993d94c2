# provledger - build, test, demo and benchmark.
#
#   make            build build/provledger and build/libprovledger.a
#   make test       install missing dependencies, build, run every test
#   make test SAN=1 the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       run the examples/ scenario end to end
#   make bench      benchmarks, each figure beside its reference
#   make deps       install missing Debian packages with apt-get (sudo when not root)
#   make man        man pages from the --help text, in build/man/
#   make install    PREFIX (/usr/local) and DESTDIR: the binary, libprovledger.a, its
#                   headers, provledger.pc, the man pages and the bash completion
#   make fuzz       build the libFuzzer harnesses (clang) and run each for FUZZ_SECONDS

BUILD_PKGS := build-essential pkg-config libgit2-dev libssl-dev libsqlite3-dev zlib1g-dev \
	libzstd-dev libxxhash-dev libutf8proc-dev libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev \
	libsnappy-dev
TEST_PKGS := git openssh-client openssl coreutils zstd gzip tar python3 python3-cryptography \
	golang-go golang-golang-x-mod-dev python3-xxhash clang-format slurm-wlm python3-yaml \
	groff-base man-db
DEMO_PKGS := graphviz
BENCH_PKGS := time bc
FUZZ_PKGS := clang libclang-rt-14-dev
LIBS_PC := libgit2 openssl sqlite3 zlib libzstd libxxhash libutf8proc jansson libmicrohttpd libcurl snappy

ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1
else
BUILD ?= build
SANFLAGS :=
OPT := -O2
endif

CC ?= cc
PKG_CFLAGS = $(shell pkg-config --cflags $(LIBS_PC) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(LIBS_PC) 2>/dev/null)
# the library's rooms: hashing/, ledger/ and each ledger/ROOM/ (README, "Code and tests")
ROOMS := hashing ledger $(patsubst %/,%,$(sort $(wildcard ledger/*/))) net
INCLUDES := $(ROOMS:%=-I%)
CFLAGS_ALL = -std=c11 -D_POSIX_C_SOURCE=200809L $(OPT) -g -Wall -Wextra -Werror \
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -pthread \
	$(INCLUDES) -Icli -Itests $(PKG_CFLAGS) $(SANFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SANFLAGS) -pthread $(LDFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lm $(LDLIBS)

LIB_SRC := $(sort $(foreach r,$(ROOMS),$(wildcard $(r)/*.c)))
CLI_SRC := $(sort $(wildcard cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c)) tests/harness.c
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
# libFuzzer harnesses: tests/fuzz/NAME.c, each one LLVMFuzzerTestOneInput
FUZZ_SRC := $(filter-out tests/fuzz/replay.c,$(sort $(wildcard tests/fuzz/*.c)))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/%.c=%)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
TOOLS := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
HEADERS := $(foreach r,$(ROOMS) cli tests,$(wildcard $(r)/*.h))
FUZZ_HEADERS := $(wildcard tests/fuzz/*.h)
# the harnesses built with gcc against $(LIB), fed the files of
# tests/fuzz/regress/NAME/ and tests/fuzz/corpus/NAME/ by make test
REPLAYS := $(FUZZ_NAMES:%=$(BUILD)/fuzz-replay/%)

LIB := $(BUILD)/libprovledger.a
BIN := $(BUILD)/provledger
UNIT := $(BUILD)/test_unit

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
LIBDIR = $(PREFIX)/lib
INCDIR = $(PREFIX)/include/provledger
MANDIR = $(PREFIX)/share/man
COMPDIR = $(PREFIX)/share/bash-completion/completions
PUBLIC_HEADERS := $(sort $(foreach r,$(ROOMS),$(wildcard $(r)/pl_*.h)))
VERSION = $(shell sed -n 's/^\#define PL_VERSION "\(.*\)"/\1/p' hashing/pl_common.h)

.PHONY: all deps test unit cli-test demo bench clean format format-check man install fuzz fuzz-build

all: deps
	@$(MAKE) --no-print-directory $(BIN) $(UNIT) $(TOOLS) $(REPLAYS)

# Installs only what is missing; does nothing when everything is present.
deps:
	@./scripts/deps.sh $(BUILD_PKGS) $(TEST_PKGS) $(DEMO_PKGS) $(BENCH_PKGS) $(FUZZ_PKGS)

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS_ALL)

$(UNIT): $(UNIT_OBJ) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $(UNIT_OBJ) $(LIB) $(LDLIBS_ALL)

# Test helpers (tests/tools/NAME.c -> build/tools/NAME), for the CLI tests.
.SECONDARY: $(TOOL_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL)

$(BUILD)/tests/fuzz/%.o: tests/fuzz/%.c $(HEADERS) $(FUZZ_HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -Itests/fuzz -c $< -o $@

.SECONDARY: $(FUZZ_SRC:%.c=$(BUILD)/%.o) $(BUILD)/tests/fuzz/replay.o
$(BUILD)/fuzz-replay/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/tests/fuzz/replay.o $(LIB) $(LDLIBS_ALL)

test: all
	@SAN=$(SAN) LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
		PROVLEDGER=$(abspath $(BIN)) UNIT=$(abspath $(UNIT)) \
		PL_TOOLS=$(abspath $(BUILD)/tools) PL_FUZZ_REPLAY=$(abspath $(BUILD)/fuzz-replay) \
		./tests/run.sh $(T)

# Fuzzing: the library again, built with clang for libFuzzer under ASan and
# UBSan in build/fuzz/, one binary per harness, each run FUZZ_SECONDS seconds
# (two at a time) by tests/fuzz/run.sh; crashes go to build/fuzz/crashes/NAME/.
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g -Wall -Wextra -Werror -pthread \
	$(INCLUDES) -Itests -Itests/fuzz $(PKG_CFLAGS) $(FUZZ_SAN)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_DIR)/bin/%)

$(FUZZ_LIB_OBJ): $(FUZZ_DIR)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/libprovledger.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BINS): $(FUZZ_DIR)/bin/%: tests/fuzz/%.c $(HEADERS) $(FUZZ_HEADERS) $(FUZZ_DIR)/libprovledger.a
	@mkdir -p $(dir $@)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libprovledger.a \
		$(PKG_LIBS) -lm

fuzz-build: deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_DIR=$(FUZZ_DIR) ./tests/fuzz/run.sh $(FUZZ_NAMES)

demo: all
	@PROVLEDGER=$(abspath $(BIN)) ./examples/demo.sh

bench: all
	@PROVLEDGER=$(abspath $(BIN)) ./bench/run.sh

man: all
	@rm -rf $(BUILD)/man
	@./scripts/mkman.sh $(BIN) $(BUILD)/man
	@echo "  MAN     $(BUILD)/man ($$(ls $(BUILD)/man | wc -l) pages)"

$(BUILD)/provledger.pc: Makefile
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' \
		'includedir=$${prefix}/include/provledger' '' 'Name: provledger' \
		'Description: liability and copyright provenance ledger for AI training data' \
		'Version: $(VERSION)' 'Requires: $(LIBS_PC)' \
		'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lprovledger -lm -pthread' >$@

install: man $(BUILD)/provledger.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(COMPDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/provledger
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libprovledger.a
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCDIR)/
	install -m 644 $(BUILD)/provledger.pc $(DESTDIR)$(LIBDIR)/pkgconfig/provledger.pc
	install -m 644 $(BUILD)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(BUILD)/man/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 644 completion/provledger.bash $(DESTDIR)$(COMPDIR)/provledger

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(UNIT_SRC) $(TOOL_SRC) $(HEADERS) \
		$(wildcard tests/fuzz/*.c) $(FUZZ_HEADERS)

format-check:
	@clang-format --dry-run --Werror $(LIB_SRC) $(CLI_SRC) $(UNIT_SRC) $(TOOL_SRC) $(HEADERS) \
		$(wildcard tests/fuzz/*.c) $(FUZZ_HEADERS)

clean:
	rm -rf build
