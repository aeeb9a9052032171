# sluice - build, test, run.
#   make            build/sluice, build/libsluice.a, build/libsluice.so.0
#   make install    PREFIX=/usr/local DESTDIR=: the header, the libraries,
#                   sluice.pc, the command and the docs; make uninstall
#   make test       unit + pipeline tests (plus Kafka tests once they exist)
#   make run        the demo
#   make SAN=asan test   AddressSanitizer + UBSan build in build-asan/
#   make SAN=tsan test   ThreadSanitizer build in build-tsan/
#   make deps       install the Debian packages sluice needs
#   make format     clang-format every source file
#   make fuzz       FUZZ_S=N: each libFuzzer target of tests/fuzz/ for N s

CC      ?= cc
SAN     ?=
ifeq ($(SAN),asan)
B        := build-asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      := -O1
else ifeq ($(SAN),tsan)
B        := build-tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
OPT      := -O1
else
B        := build
SANFLAGS :=
OPT      := -O2
endif

CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
           -Wshadow -Wstrict-prototypes -fPIC -I. -Iinclude -MMD -MP $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
# The libraries sluice links, found through pkg-config (evaluated when a
# link runs, after `make deps` may have installed them).
PKGS    := rdkafka liburing ck jansson libxxhash libmicrohttpd snappy libzstd zlib
CFLAGS  += -fvisibility=hidden
LDLIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread -lm

# The version is the header's; the SONAME carries its major number.
VERSION := $(shell sed -n 's/^\#define SLUICE_VERSION "\(.*\)"/\1/p' include/sluice.h)
SOMAJOR := $(firstword $(subst ., ,$(VERSION)))
SONAME  := libsluice.so.$(SOMAJOR)
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
DOCDIR  ?= $(PREFIX)/share/doc/sluice

LIB_SRC  := $(wildcard core/*.c expr/*.c io/*.c ops/*.c engine/*.c sql/*.c)
CLI_SRC  := $(wildcard cli/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
KAFKA_SRC := $(wildcard tests/kafka/*.c)
EX_SRC   := $(wildcard examples/*.c)
BENCH_SRC := $(wildcard bench/*.c)
# Helpers shared by the test programs, compiled once.
SUPPORT_SRC := $(wildcard tests/support/*.c)
# Whole queries, C API in, rows out: tests/pipeline/*.c, one program each.
QUERY_SRC := $(wildcard tests/pipeline/*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/test/%)
KAFKA_BIN := $(KAFKA_SRC:tests/kafka/%.c=$(B)/kafka-test/%)
EX_BIN   := $(EX_SRC:examples/%.c=$(B)/examples/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
SUPPORT_OBJ := $(SUPPORT_SRC:%.c=$(B)/obj/%.o)
# criterion_san.o is linked whole (it overrides symbols nothing names, so an
# archive would leave it out); the other helpers come from libsltest.a.
SAN_OBJ  := $(B)/obj/tests/support/criterion_san.o
TEST_LIBS := $(SAN_OBJ) $(B)/libsltest.a $(B)/libsluice.a
QUERY_BIN := $(QUERY_SRC:tests/pipeline/%.c=$(B)/query-test/%)

DEP_HEADERS := /usr/include/liburing.h /usr/include/librdkafka/rdkafka.h \
               /usr/include/ck_ring.h /usr/include/criterion/criterion.h \
               /usr/include/jansson.h /usr/include/xxhash.h \
               /usr/include/microhttpd.h /usr/share/zoneinfo/tzdata.zi \
               /usr/include/snappy-c.h /usr/include/zstd.h /usr/include/zlib.h
DEB_PKGS    := liburing-dev librdkafka-dev libck-dev libcriterion-dev \
               libjansson-dev libxxhash-dev libmicrohttpd-dev libsnappy-dev \
               libzstd-dev zlib1g-dev pkg-config tzdata clang

.PHONY: fuzz fuzz-build all deps docs install uninstall abi-check install-test test unit-test query-test layers-check pipeline-test spark-test examples-test kafka-test run format format-check clean bench docs-check

all: deps-check $(B)/sluice $(B)/libsluice.a $(B)/libsluice.so $(EX_BIN)

# Install the Debian packages only when a header is missing.
deps-check:
	@for h in $(DEP_HEADERS); do [ -e $$h ] || { $(MAKE) --no-print-directory deps; break; }; done

deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEB_PKGS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libsluice.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/libsluice.so.$(VERSION): $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS)

$(B)/libsluice.so: $(B)/libsluice.so.$(VERSION)
	ln -sf libsluice.so.$(VERSION) $(B)/$(SONAME)
	ln -sf $(SONAME) $@

# Installs what a program embedding sluice needs, the command and the docs.
install: all
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	  $(DESTDIR)$(BINDIR) $(DESTDIR)$(DOCDIR)
	install -m 644 include/sluice.h include/sluice_plugin.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(B)/libsluice.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/libsluice.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libsluice.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libsluice.so
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
	    sluice.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/sluice.pc
	install -m 755 $(B)/sluice $(DESTDIR)$(BINDIR)/
	install -m 644 README.md CONTRIBUTING.md docs/*.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/sluice.h $(DESTDIR)$(INCLUDEDIR)/sluice_plugin.h \
	  $(DESTDIR)$(LIBDIR)/libsluice.a \
	  $(DESTDIR)$(LIBDIR)/libsluice.so $(DESTDIR)$(LIBDIR)/$(SONAME) \
	  $(DESTDIR)$(LIBDIR)/libsluice.so.$(VERSION) \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/sluice.pc $(DESTDIR)$(BINDIR)/sluice
	rm -rf $(DESTDIR)$(DOCDIR)

# libsluice.so exports the header's functions and nothing else.
abi-check: $(B)/libsluice.so
	@tests/abi.sh $(B)/libsluice.so include/sluice.h include/sluice_plugin.h

# make install into a temporary prefix, then examples/embed.c built with
# only `pkg-config --cflags --libs sluice` and run; make uninstall.
install-test: all
	@tests/install.sh

$(B)/sluice: $(CLI_OBJ) $(B)/libsluice.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libsluice.a $(LDLIBS)

$(B)/libsltest.a: $(filter-out $(SAN_OBJ),$(SUPPORT_OBJ))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/test/%: tests/unit/%.c $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(TEST_LIBS) $(LDLIBS) -lcriterion

$(B)/query-test/%: tests/pipeline/%.c $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(TEST_LIBS) $(LDLIBS) -lcriterion

$(B)/kafka-test/%: tests/kafka/%.c $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(TEST_LIBS) $(LDLIBS) -lcriterion

$(B)/examples/%: examples/%.c $(B)/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libsluice.a $(LDLIBS)

$(B)/bench/%: bench/%.c bench/bench_util.h $(B)/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libsluice.a $(LDLIBS)

# The relay benchmark is bench/relay.c with its parts, bench/relay/*.c.
BENCH_RELAY_SRC := $(wildcard bench/relay/*.c)
$(B)/bench/relay: bench/relay.c $(BENCH_RELAY_SRC) bench/relay/relay.h bench/bench_util.h $(B)/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ bench/relay.c $(BENCH_RELAY_SRC) $(B)/libsluice.a $(LDLIBS)

bench: all $(BENCH_BIN)
	@B=$(B) bench/run.sh

# Every unit test binary runs; the first failure fails the target, but all
# of them run so one report shows every failure.
unit-test: all $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  echo "== $$t"; $$t --jobs=2 || fail=1; done; exit $$fail

# Whole queries through the C API: the programs under tests/pipeline/
# (every one runs, as in unit-test).
query-test: all $(QUERY_BIN)
	@fail=0; for t in $(QUERY_BIN); do \
	  echo "== $$t"; $$t --jobs=2 || fail=1; done; exit $$fail

# Whole queries: the C query programs, then the `sluice` command end to end,
# then Parquet files read back by pyarrow and Spark (tests/pipeline/parquet.sh).
pipeline-test: query-test
	@SLUICE=$(B)/sluice B=$(B) tests/pipeline/run.sh
	@SLUICE=$(B)/sluice tests/pipeline/parquet.sh

# The embedding example must build from the public header alone and run.
examples-test: all
	@for e in $(EX_BIN); do echo "== $$e"; $$e > $(B)/$$(basename $$e).out || { cat $(B)/$$(basename $$e).out; exit 1; }; done

# Kafka tests: a real broker (started and stopped by tests/kafka/run.sh)
# and the mock cluster. Not under TSan: Debian's librdkafka starts its
# threads with C11 thrd_create, which GCC 12's TSan does not intercept.
kafka-test: all $(KAFKA_BIN)
	@tests/kafka/run.sh $(KAFKA_BIN)

# docs/OPTIONS.md is generated from the option tables and docs/FUNCTIONS.md
# from the function table; the tests fail when they are out of date (run
# `make docs` and commit them).
# docs/API.md: the public header's declarations and comments
# (tools/gen_api_doc.py, which also fails on an uncommented public
# function), then the notes in docs/api/.
API_DOC = python3 tools/gen_api_doc.py include/sluice.h $(sort $(wildcard docs/api/*.md))
PLUGIN_DOC = python3 tools/gen_api_doc.py include/sluice_plugin.h

docs: all
	$(B)/sluice options > docs/OPTIONS.md
	$(B)/sluice functions --markdown > docs/FUNCTIONS.md
	$(API_DOC) > docs/API.md
	$(PLUGIN_DOC) > docs/PLUGIN_API.md

docs-check: all
	@$(B)/sluice options | diff -u docs/OPTIONS.md - > /dev/null || { \
	  echo "docs/OPTIONS.md is out of date: run 'make docs'" >&2; \
	  $(B)/sluice options | diff -u docs/OPTIONS.md - | head -20 >&2; exit 1; }
	@$(B)/sluice functions --markdown | diff -u docs/FUNCTIONS.md - > /dev/null || { \
	  echo "docs/FUNCTIONS.md is out of date: run 'make docs'" >&2; \
	  $(B)/sluice functions --markdown | diff -u docs/FUNCTIONS.md - | head -20 >&2; exit 1; }
	@$(API_DOC) > $(B)/API.md || exit 1; diff -u docs/API.md $(B)/API.md > /dev/null || { \
	  echo "docs/API.md is out of date: run 'make docs'" >&2; \
	  diff -u docs/API.md $(B)/API.md | head -20 >&2; exit 1; }
	@$(PLUGIN_DOC) > $(B)/PLUGIN_API.md || exit 1; diff -u docs/PLUGIN_API.md $(B)/PLUGIN_API.md > /dev/null || { \
	  echo "docs/PLUGIN_API.md is out of date: run 'make docs'" >&2; \
	  diff -u docs/PLUGIN_API.md $(B)/PLUGIN_API.md | head -20 >&2; exit 1; }

# The Spark differential test (tests/spark/README.md): the cases of
# tests/spark/cases/basic.txt run in PySpark and in sluice, rows, names and
# types compared. The first run makes build/spark-venv (pyspark from PyPI;
# needs Java 17 and python3-venv).
spark-test: all
	@B=$(B) SLUICE=$(B)/sluice tests/spark/run.sh

# Every include runs down the rooms' floors (docs/ARCHITECTURE.md).
layers-check:
	@tests/layers.sh

test: docs-check layers-check abi-check $(if $(SAN),,install-test) unit-test pipeline-test examples-test kafka-test spark-test

run: all
	$(B)/sluice demo

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(UNIT_SRC) $(EX_SRC) $(wildcard core/*.h expr/*.h io/*.h ops/*.h engine/*.h sql/*.h include/*.h)

format-check:
	clang-format --dry-run --Werror $(LIB_SRC) $(CLI_SRC) $(wildcard core/*.h expr/*.h engine/*.h sql/*.h include/*.h)

# Fuzzing (tests/fuzz/README.md): the library built again by clang with
# libFuzzer's coverage, ASan and UBSan in build-fuzz/, one program per
# tests/fuzz/fuzz_*.c, each run for FUZZ_S seconds from its corpus in
# tests/fuzz/corpus/<name>/ (what it finds stays in build-fuzz/). clang
# does not define gcc's __SANITIZE_ADDRESS__, by which the code knows ASan
# is on (expr/regex.c's copy around regexec's REG_STARTEND): given here.
FUZZ_CC  ?= clang
FUZZ_S   ?= 10
FZ       := build-fuzz
FUZZ_CFLAGS := -O1 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	       -Wno-unused-parameter -Wno-missing-field-initializers -Wshadow \
	       -Wstrict-prototypes -I. -Iinclude \
	       -MMD -MP -fvisibility=hidden -fno-omit-frame-pointer \
	       -fsanitize=fuzzer-no-link,address,undefined \
	       -fno-sanitize-recover=undefined -D__SANITIZE_ADDRESS__
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FZ)/%)
FUZZ_OBJ := $(LIB_SRC:%.c=$(FZ)/obj/%.o)

$(FZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FZ)/libsluice.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FZ)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FZ)/libsluice.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FZ)/libsluice.a $(LDLIBS)

fuzz-build: deps-check $(FUZZ_BIN)

fuzz: fuzz-build
	@tests/fuzz/run.sh $(FZ) $(FUZZ_S) $(FUZZ_BIN)

clean:
	rm -rf build build-asan build-tsan build-fuzz

.SECONDARY: $(SUPPORT_OBJ)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
# test programs: rebuilt when a header they include changes
-include $(FUZZ_OBJ:.o=.d)
-include $(UNIT_BIN:=.d) $(KAFKA_BIN:=.d) $(QUERY_BIN:=.d) $(SUPPORT_OBJ:.o=.d)
