# sluice - build, test, run.
#   make            build/sluice, build/libsluice.a, build/libsluice.so
#   make test       unit + pipeline tests (plus Kafka tests once they exist)
#   make run        the demo
#   make SAN=asan test   AddressSanitizer + UBSan build in build-asan/
#   make SAN=tsan test   ThreadSanitizer build in build-tsan/
#   make deps       install the Debian packages sluice needs
#   make format     clang-format every source file

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
LDLIBS  := -lrdkafka -luring -lck -ljansson -lxxhash -lmicrohttpd -lpthread -lm

LIB_SRC  := $(wildcard core/*.c io/*.c ops/*.c)
CLI_SRC  := $(wildcard cli/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
KAFKA_SRC := $(wildcard tests/kafka/*.c)
EX_SRC   := $(wildcard examples/*.c)
BENCH_SRC := $(wildcard bench/*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/test/%)
KAFKA_BIN := $(KAFKA_SRC:tests/kafka/%.c=$(B)/kafka-test/%)
EX_BIN   := $(EX_SRC:examples/%.c=$(B)/examples/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

DEP_HEADERS := /usr/include/liburing.h /usr/include/librdkafka/rdkafka.h \
               /usr/include/ck_ring.h /usr/include/criterion/criterion.h \
               /usr/include/jansson.h /usr/include/xxhash.h \
               /usr/include/microhttpd.h
DEB_PKGS    := liburing-dev librdkafka-dev libck-dev libcriterion-dev \
               libjansson-dev libxxhash-dev libmicrohttpd-dev pkg-config

.PHONY: all deps docs test unit-test pipeline-test examples-test kafka-test run format format-check clean bench docs-check

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

$(B)/libsluice.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/sluice: $(CLI_OBJ) $(B)/libsluice.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libsluice.a $(LDLIBS)

$(B)/test/%: tests/unit/%.c $(B)/obj/tests/support/criterion_san.o $(B)/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/obj/tests/support/criterion_san.o $(B)/libsluice.a $(LDLIBS) -lcriterion

$(B)/kafka-test/%: tests/kafka/%.c $(B)/obj/tests/support/criterion_san.o $(B)/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/obj/tests/support/criterion_san.o $(B)/libsluice.a $(LDLIBS) -lcriterion

$(B)/examples/%: examples/%.c $(B)/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libsluice.a $(LDLIBS)

$(B)/bench/%: bench/%.c bench/bench_util.h $(B)/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libsluice.a $(LDLIBS)

bench: all $(BENCH_BIN)
	@B=$(B) bench/run.sh

# Every unit test binary runs; the first failure fails the target, but all
# of them run so one report shows every failure.
unit-test: all $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  echo "== $$t"; $$t --jobs=2 || fail=1; done; exit $$fail

pipeline-test: all
	@SLUICE=$(B)/sluice B=$(B) tests/pipeline/run.sh

# The embedding example must build from the public header alone and run.
examples-test: all
	@for e in $(EX_BIN); do echo "== $$e"; $$e > $(B)/$$(basename $$e).out || { cat $(B)/$$(basename $$e).out; exit 1; }; done

# Kafka tests: a real broker (started and stopped by tests/kafka/run.sh)
# and the mock cluster. Not under TSan: Debian's librdkafka starts its
# threads with C11 thrd_create, which GCC 12's TSan does not intercept.
kafka-test: all $(KAFKA_BIN)
	@tests/kafka/run.sh $(KAFKA_BIN)

# docs/OPTIONS.md is generated from the option tables; the tests fail when
# it is out of date (run `make docs` and commit it).
docs: all
	$(B)/sluice options > docs/OPTIONS.md

docs-check: all
	@$(B)/sluice options | diff -u docs/OPTIONS.md - > /dev/null || { \
	  echo "docs/OPTIONS.md is out of date: run 'make docs'" >&2; \
	  $(B)/sluice options | diff -u docs/OPTIONS.md - | head -20 >&2; exit 1; }

test: docs-check unit-test pipeline-test examples-test kafka-test

run: all
	$(B)/sluice demo

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(UNIT_SRC) $(EX_SRC) $(wildcard core/*.h io/*.h ops/*.h include/*.h)

format-check:
	clang-format --dry-run --Werror $(LIB_SRC) $(CLI_SRC) $(wildcard core/*.h include/*.h)

clean:
	rm -rf build build-asan build-tsan

.SECONDARY: $(B)/obj/tests/support/criterion_san.o

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
# test programs: rebuilt when a header they include changes
-include $(UNIT_BIN:=.d) $(KAFKA_BIN:=.d)
