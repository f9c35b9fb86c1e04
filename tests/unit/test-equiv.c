// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of hash equivalence (lib/equiv.c: bitbake-hashserv's
 * resolution rules on the local SQLite store, the hashserv message framing)
 * and of taskhashes (lib/task.c).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel/recorder/equiv.h"
#include "accel/recorder/outhash.h"
#include "accel/recorder/task.h"
#include "accel/base/util.h"

static char dir[64];
static char db[128];
static struct ac_equiv *e;
static struct ac_err why; /* of the last call (each test runs in its own process) */

static void open_store(void)
{

	snprintf(dir, sizeof(dir), "/tmp/accel-equiv-XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/equiv.db", dir);
	cr_assert_eq(ac_equiv_open(db, &e, &why), 0, "%s", why.msg);
}

static void close_store(void)
{
	ac_equiv_close(e);
	ac_rm_rf(AT_FDCWD, dir);
}

/* A realistic hash: sha256 of a name. */
static const char *H(const char *name)
{
	static char hex[8][AC_OUTHASH_HEX];
	static int k;

	k = (k + 1) % 8;
	ac_sha256_hex(name, strlen(name), hex[k]);
	return hex[k];
}

static const char *report(const char *task, const char *out, const char *uni)
{
	static char resolved[AC_HASH_HEX];
	struct ac_equiv_report rep = {AC_EQUIV_METHOD, H(task), NULL, NULL, "t", NULL};
	char t[AC_HASH_HEX], o[AC_HASH_HEX], u[AC_HASH_HEX];

	snprintf(t, sizeof(t), "%s", H(task));
	snprintf(o, sizeof(o), "%s", H(out));
	snprintf(u, sizeof(u), "%s", H(uni));
	rep.taskhash = t;
	rep.outhash = o;
	rep.unihash = u;
	cr_assert_eq(ac_equiv_report(e, &rep, resolved, &why), 0, "%s", why.msg);
	return resolved;
}

TestSuite(rules, .init = open_store, .fini = close_store);

Test(rules, first_report_keeps_its_unihash)
{
	cr_expect_str_eq(report("T1", "O1", "T1"), H("T1"));
}

Test(rules, same_outhash_resolves_to_the_first)
{
	char u[AC_HASH_HEX];

	report("T1", "O1", "T1");
	cr_expect_str_eq(report("T2", "O1", "T2"), H("T1"));
	cr_assert_eq(ac_equiv_get(e, AC_EQUIV_METHOD, H("T2"), u, &why), 0);
	cr_expect_str_eq(u, H("T1"));
}

Test(rules, oldest_outhash_wins_among_several)
{
	report("T1", "O1", "T1");
	report("T2", "O1", "T2");
	cr_expect_str_eq(report("T3", "O1", "T3"), H("T1"));
}

Test(rules, other_outhash_keeps_its_own)
{
	report("T1", "O1", "T1");
	cr_expect_str_eq(report("T3", "O2", "T3"), H("T3"));
}

Test(rules, first_mapping_never_changes)
{
	report("T1", "O1", "T1");
	report("T2", "O1", "T2");
	/* T2 reported again with another outhash (a non-reproducible rerun):
	 * it stays equivalent to T1. */
	cr_expect_str_eq(report("T2", "O3", "T2"), H("T1"));
	/* And a third taskhash with O3 does not inherit T2's row. */
	cr_expect_str_eq(report("T4", "O3", "T4"), H("T1"));
}

Test(rules, proposed_unihash_is_used_when_new)
{
	cr_expect_str_eq(report("T5", "O5", "U5"), H("U5"));
	cr_expect_str_eq(report("T6", "O5", "T6"), H("U5"));
}

Test(rules, unknown_and_malformed)
{
	char u[AC_HASH_HEX];
	struct ac_equiv_report rep = {AC_EQUIV_METHOD, H("T1"), H("O1"), "ABC", NULL, NULL};

	cr_expect_eq(ac_equiv_get(e, AC_EQUIV_METHOD, H("nothing"), u, &why), -ENOENT);
	cr_expect_eq(ac_equiv_get(e, AC_EQUIV_METHOD, "1234", u, &why), -EINVAL);
	cr_expect_eq(ac_equiv_report(e, &rep, u, &why), -EINVAL);
	cr_expect(strstr(why.msg, "unihash"), "%s", why.msg);
}

Test(rules, methods_are_separate)
{
	char u[AC_HASH_HEX];

	report("T1", "O1", "T1");
	cr_expect_eq(ac_equiv_get(e, "other.method", H("T1"), u, &why), -ENOENT);
}

Test(rules, get_many_and_get_all)
{
	char out[3][AC_HASH_HEX], a[AC_HASH_HEX], b[AC_HASH_HEX], c[AC_HASH_HEX], *json = NULL;
	const char *q[3] = {a, b, c};

	report("T1", "O1", "T1");
	report("T2", "O1", "T2");
	snprintf(a, sizeof(a), "%s", H("T1"));
	snprintf(b, sizeof(b), "%s", H("T2"));
	snprintf(c, sizeof(c), "%s", H("T9"));
	cr_assert_eq(ac_equiv_get_many(e, AC_EQUIV_METHOD, q, 3, out, &why), 0);
	cr_expect_str_eq(out[0], H("T1"));
	cr_expect_str_eq(out[1], H("T1"));
	cr_expect_str_eq(out[2], "");
	cr_assert_eq(ac_equiv_get_all(e, AC_EQUIV_METHOD, H("T2"), &json, &why), 0);
	cr_expect(strstr(json, H("O1")) && strstr(json, "\"unihash\":"), "%s", json);
	free(json);
}

Test(rules, a_second_connection_sees_the_rules)
{
	struct ac_equiv *e2;
	char u[AC_HASH_HEX];

	report("T1", "O1", "T1");
	cr_assert_eq(ac_equiv_open(db, &e2, &why), 0, "%s", why.msg);
	cr_assert_eq(ac_equiv_get(e2, AC_EQUIV_METHOD, H("T1"), u, &why), 0);
	cr_expect_str_eq(u, H("T1"));
	ac_equiv_close(e2);
}

/* ------------------------------------------------------------ framing */

static char *text_of(size_t n)
{
	char *s = malloc(n + 1);

	cr_assert(s);
	memset(s, 'x', n);
	s[n] = '\0';
	return s;
}

Test(frame, short_message_is_one_line)
{
	size_t len;
	char *f = ac_hashserv_frame("{\"ping\": {}}", &len);

	cr_expect_str_eq(f, "{\"ping\": {}}\n");
	free(f);
}

Test(frame, threshold_is_max_chunk_minus_one)
{
	size_t len;
	char *m = text_of(AC_HASHSERV_MAX_CHUNK - 2), *f = ac_hashserv_frame(m, &len);

	/* 32766 characters: still one line. */
	cr_expect_eq(len, AC_HASHSERV_MAX_CHUNK - 1);
	free(f);
	free(m);
	m = text_of(AC_HASHSERV_MAX_CHUNK - 1);
	f = ac_hashserv_frame(m, &len);
	/* 32767: header, one piece of 32767 and its "\n", the empty line. */
	cr_expect(!strncmp(f, "{\"chunk-stream\": null}\n", 23));
	cr_expect_eq(len, 23 + 32767 + 1 + 1);
	cr_expect_eq(f[len - 1], '\n');
	cr_expect_eq(f[len - 2], '\n');
	free(f);
	free(m);
}

Test(frame, long_message_in_pieces)
{
	size_t len, n = 100000, pieces = (n + 32766) / 32767;
	char *m = text_of(n), *f = ac_hashserv_frame(m, &len);
	size_t lines = 0;

	for (size_t i = 0; i < len; i++)
		lines += f[i] == '\n';
	cr_expect_eq(lines, 1 + pieces + 1);
	cr_expect_eq(len, 23 + n + pieces + 1);
	free(f);
	free(m);
}

/* Bitbake's server rstrip()s every line it reads, chunk lines too: a space
 * at the end of a chunk would be lost. */
Test(frame, no_chunk_ends_on_a_space)
{
	size_t len, n = 32766 + 1 + 40000;
	char *m = text_of(n), *f, *p, *nl;
	struct ac_buf joined = {0};

	m[32766] = ' ';       /* the last character of the first full chunk */
	m[32766 + 32767 - 2] = ' '; /* and a run ending near the second's end */
	m[32766 + 32767 - 1] = ' ';
	f = ac_hashserv_frame(m, &len);
	p = strchr(f, '\n') + 1; /* after the chunk-stream header */
	while ((nl = strchr(p, '\n')) && nl != p) {
		cr_expect_neq(nl[-1], ' ', "a chunk ends on a space at %zu", (size_t)(nl - f));
		cr_expect_leq(nl - p, 32767);
		cr_assert_eq(ac_buf_add(&joined, p, (size_t)(nl - p)), 0);
		p = nl + 1;
	}
	cr_expect_str_eq(joined.p, m, "the chunks join to the message");
	ac_buf_free(&joined);
	free(f);
	free(m);
}

Test(frame, remote_addresses)
{
	cr_expect(ac_equiv_is_remote("unix:///run/hashserv.sock"));
	cr_expect(ac_equiv_is_remote("localhost:8686"));
	cr_expect(ac_equiv_is_remote("[::1]:8686"));
	cr_expect(!ac_equiv_is_remote("/var/lib/accel/tasks/accel.db"));
	cr_expect(!ac_equiv_is_remote("db:file"));
	cr_expect(!ac_equiv_is_remote("./a:1"));
}

/* ------------------------------------------------------------ taskhash */

static void th(const char *const *argv, const char *input_hash, const char *after_uni,
	       char hex[AC_HASH_HEX])
{
	const char *inputs[] = {"a.txt", NULL}, *ih[] = {input_hash, NULL};
	const char *after[] = {"A", NULL}, *au[] = {after_uni, NULL};
	const char *en[] = {"LC_ALL", NULL}, *ev[] = {"C", NULL};
	struct ac_taskdef d = {"B", argv, en, ev, "out", inputs, ih, after, au};
	struct ac_buf text = {0};

	cr_assert_eq(ac_taskhash(&d, &text, hex), 0);
	ac_buf_free(&text);
}

Test(taskhash, golden_text)
{
	const char *argv[] = {"sh", "-c", "a\nb", NULL}, *none[] = {NULL};
	const char *en[] = {"X", "Y", NULL}, *ev[] = {"1", NULL, NULL};
	struct ac_taskdef d = {"A", argv, en, ev, "o", none, none, none, none};
	struct ac_buf text = {0};
	char hex[AC_HASH_HEX], want[AC_HASH_HEX];
	static const char golden[] = "accel-task 1\nname=1:A\narg=2:sh\narg=2:-c\narg=3:a\nb\n"
				     "env=1:X\nvalue=1:1\nenv=1:Y\nunset=0:\noutput=1:o\n";

	cr_assert_eq(ac_taskhash(&d, &text, hex), 0);
	cr_expect_str_eq(text.p, golden);
	ac_sha256_hex(golden, sizeof(golden) - 1, want);
	cr_expect_str_eq(hex, want);
	ac_buf_free(&text);
}

Test(taskhash, every_part_counts)
{
	const char *a1[] = {"make", "x", NULL}, *a2[] = {"make", "y", NULL};
	const char *a3[] = {"make x", NULL};
	char h1[AC_HASH_HEX], h2[AC_HASH_HEX], h3[AC_HASH_HEX], h4[AC_HASH_HEX],
		h5[AC_HASH_HEX], h6[AC_HASH_HEX];

	th(a1, "file 00 -", H("ua"), h1);
	th(a2, "file 00 -", H("ua"), h2);
	th(a3, "file 00 -", H("ua"), h3);
	th(a1, "file 01 -", H("ua"), h4);
	th(a1, "file 00 -", H("ub"), h5);
	th(a1, "file 00 -", H("ua"), h6);
	cr_expect_str_neq(h1, h2);
	cr_expect_str_neq(h1, h3); /* arguments are not joined by spaces */
	cr_expect_str_neq(h1, h4);
	cr_expect_str_neq(h1, h5);
	cr_expect_str_eq(h1, h6);
}
