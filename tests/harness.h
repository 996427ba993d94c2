/*
 * harness.h - provledger's in-house unit test harness.
 *
 * A test is `PL_TEST(module, case) { ... }`; it registers itself at load time
 * as test_<module>__<case>. Each test runs in a forked child, so a crash or a
 * sanitizer abort fails one test, not the run; PL_TEST_NOFORK=1 runs them in
 * process (for gdb). A test skips by calling pl_skip("why") (exit 77). The run
 * ends with "N passed, N failed, N skipped".
 */
#ifndef PL_HARNESS_H
#define PL_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef void (*pl_test_fn)(void);
void pl_test_register(const char *name, pl_test_fn fn);
void pl_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
void pl_skip(const char *why) __attribute__((noreturn));
/* Path of the fixtures directory (tests/fixtures), and a fresh temp dir per test. */
const char *pl_fixture(const char *name);
const char *pl_tmpdir(void);

#define PL_TEST(mod, name)                                                                         \
	static void test_##mod##__##name(void);                                                    \
	__attribute__((constructor)) static void reg_##mod##__##name(void)                         \
	{                                                                                          \
		pl_test_register("test_" #mod "__" #name, test_##mod##__##name);                   \
	}                                                                                          \
	static void test_##mod##__##name(void)

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			pl_test_fail(__FILE__, __LINE__, "check failed: %s", #c);                  \
	} while (0)

#define CHECK_OK(e)                                                                                \
	do {                                                                                       \
		int rc_ = (e);                                                                     \
		if (rc_ < 0)                                                                       \
			pl_test_fail(__FILE__, __LINE__, "%s returned %d: %s", #e, rc_,            \
			             pl_error_last());                                             \
	} while (0)

#define CHECK_ERR(e, code)                                                                         \
	do {                                                                                       \
		int rc_ = (e);                                                                     \
		if (rc_ != (code))                                                                 \
			pl_test_fail(__FILE__, __LINE__, "%s returned %d, expected %d (%s)", #e,   \
			             rc_, (code), pl_error_last());                                \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			pl_test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_); \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (a_ == NULL || strcmp(a_, b_) != 0)                                             \
			pl_test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,      \
			             a_ ? a_ : "(null)", b_);                                      \
	} while (0)

/* CHECK_CONTAINS(haystack, needle): the error message or output holds needle. */
#define CHECK_CONTAINS(h, n)                                                                       \
	do {                                                                                       \
		const char *h_ = (h), *n_ = (n);                                                   \
		if (h_ == NULL || strstr(h_, n_) == NULL)                                          \
			pl_test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"",         \
			             h_ ? h_ : "(null)", n_);                                      \
	} while (0)

#endif
